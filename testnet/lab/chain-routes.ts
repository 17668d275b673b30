// What the console shows of the chain itself: the recent blocks (from the validator highest up) and one
// transaction's path (where each validator has it: in its mempool, committed at a height, or nowhere).

import { rpcCall } from '../../node/rpc/client.js'
import type { FaultLab } from './fault-lab.js'
import { LabRequestError } from './lab-error.js'

export const recentBlocksMax = 20
const callTimeoutMs = 2_000

export async function recentBlocks(lab: FaultLab, limit: number): Promise<unknown> {
  if (!Number.isInteger(limit) || limit < 1 || limit > recentBlocksMax) {
    throw new LabRequestError('bad-request', `limit: 1..${recentBlocksMax}`)
  }
  const source = lab.validators
    .filter((validator) => validator.process === 'running' && validator.status !== undefined)
    .sort((a, b) => (b.status?.height ?? 0) - (a.status?.height ?? 0))[0]
  if (source === undefined) throw new LabRequestError('conflict', 'no validator answers now')
  const maxHeight = source.status?.height ?? 0
  if (maxHeight === 0) return { validator: source.index, last_height: 0, blocks: [] }
  const result = (await rpcCall(
    source.rpc,
    'blockchain',
    { minHeight: Math.max(1, maxHeight - limit + 1), maxHeight },
    { timeoutMs: callTimeoutMs },
  )) as { last_height: number; block_metas: unknown[] }
  return { validator: source.index, last_height: result.last_height, blocks: result.block_metas }
}

export async function txPath(lab: FaultLab, hash: string): Promise<unknown> {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new LabRequestError('bad-request', 'hash: 64 lowercase hex digits')
  const validators = await Promise.all(
    lab.validators.map(async (validator) => {
      if (validator.process !== 'running') return { index: validator.index, where: validator.process }
      const options = { timeoutMs: callTimeoutMs }
      const committed = await rpcCall<{ height: number; index: number; code: number }>(
        validator.rpc,
        'tx',
        { hash },
        options,
      ).catch(() => undefined)
      if (committed !== undefined) {
        return { index: validator.index, where: 'committed', height: committed.height, code: committed.code }
      }
      const pending = await rpcCall<{ txs: Array<{ hash: string }> }>(
        validator.rpc,
        'unconfirmed_txs',
        { limit: 100 },
        options,
      ).catch(() => undefined)
      if (pending === undefined) return { index: validator.index, where: 'no answer' }
      const inMempool = pending.txs.some((tx) => tx.hash === hash)
      return { index: validator.index, where: inMempool ? 'mempool' : 'not seen' }
    }),
  )
  return { hash, validators }
}
