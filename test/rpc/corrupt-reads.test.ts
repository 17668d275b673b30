// The new chain reads never serve data their indexes contradict: a block stored under another hash, a tx index
// pointing at another transaction, a committed block without its QC. Each is answered -32603 and reported as
// corruption (a log line and a metric at the validator).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { blockHash, txHash, txRoot } from '../../ledger/hashing.js'
import type { StoreError } from '../../ledger/store/index.js'
import type { Block, Tx } from '../../ledger/types.js'
import type { RpcBackend } from '../../node/rpc/backend.js'
import { RpcError, RpcErrorCode } from '../../node/rpc/errors.js'
import { nodeRpcMethods } from '../../node/rpc/methods.js'
import { arbitraryBlockHeader, arbitraryTx } from '../support/arbitraries.js'

const header = fc.sample(arbitraryBlockHeader, { seed: 1, numRuns: 1 })[0]!
const [tx, otherTx] = fc.sample(arbitraryTx, { seed: 2, numRuns: 2 }) as [Tx, Tx]
const block: Block = { header: { ...header, height: 1, txRoot: txRoot([otherTx]) }, txs: [otherTx] }
const context = { signal: new AbortController().signal, overloaded: () => {} }

function corruptBackend(reported: StoreError[]): RpcBackend {
  return {
    ledger: {
      head: () => ({ height: 1, hash: blockHash(block.header), stateRoot: new Uint8Array(32) }),
      blockByHeight: async () => block,
      // Whatever is asked for, the stored block is this one.
      blockByHash: async () => block,
      qcForBlock: async () => undefined,
      // The index says tx is at height 1, index 0, where the block holds otherTx.
      txLocation: async () => ({ height: 1, index: 0 }),
      receipt: async () => undefined,
    },
    reportCorruption: (error: StoreError) => reported.push(error),
  } as unknown as RpcBackend
}

async function answer(method: string, params: unknown): Promise<{ error: RpcError; reported: StoreError[] }> {
  const reported: StoreError[] = []
  const methods = nodeRpcMethods(corruptBackend(reported))
  const error = await methods[method]!(params, context).then(
    () => {
      throw new Error(`${method} served contradicted data`)
    },
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(RpcError)
  return { error: error as RpcError, reported }
}

describe('reads that find the indexes contradicting the blocks', () => {
  const cases: Array<[string, string, unknown]> = [
    [
      'block_by_hash: the block stored under a hash has another hash',
      'block_by_hash',
      { hash: '44'.repeat(32) },
    ],
    ['tx: the index points at another transaction', 'tx', { hash: toHex(txHash(tx)) }],
    ['commit: a committed block without its QC', 'commit', { height: 1 }],
  ]
  for (const [what, method, params] of cases) {
    it(`${what}: -32603, reported as corruption`, async () => {
      const { error, reported } = await answer(method, params)
      expect(error.code).toBe(RpcErrorCode.internalError)
      expect(error.message).toBe('the stored data this request needs is corrupt; see the validator log')
      expect(reported).toHaveLength(1)
      expect(reported[0]!.code).toBe('corrupt')
    })
  }
})
