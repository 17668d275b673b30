// What the history checker reads from one validator, and its JSON-RPC implementation (`status`, `block`,
// `account`, `genesis`: docs/rpc.md). Every answer is checked before use: a validator answering something
// unreadable is a ChainReadError naming it, never a crash further on.

import { rpcCall } from '../../node/rpc/client.js'

export interface ChainTx {
  readonly hash: string
  readonly from: string
  readonly to: string
  readonly amount: bigint
}

export interface ChainBlock {
  readonly height: number
  readonly hash: string
  readonly stateRoot: string
  /** In block order. */
  readonly txs: readonly ChainTx[]
}

/** One validator's committed chain: `blocks[i]` is height i + 1. */
export interface ValidatorChain {
  readonly validator: number
  readonly blocks: readonly ChainBlock[]
}

export interface ReadOptions {
  readonly signal?: AbortSignal
}

export interface ChainView {
  readonly validator: number
  /** The latest committed height. */
  height(options?: ReadOptions): Promise<number>
  block(height: number, options?: ReadOptions): Promise<ChainBlock>
  /** An account's committed balance (0 for an address never funded). */
  balance(address: string, options?: ReadOptions): Promise<bigint>
  /** The genesis accounts and their balances. */
  genesisAccounts(options?: ReadOptions): Promise<ReadonlyMap<string, bigint>>
}

export class ChainReadError extends Error {
  static override name = 'ChainReadError'
  override name = 'ChainReadError'
}

/** Block reads in flight at once per validator. */
export const blockReadsInFlightMax = 16
export const chainReadTimeoutMs = 10_000

export function rpcChainView(validator: number, url: string, timeoutMs = chainReadTimeoutMs): ChainView {
  const call = async (method: string, params: object, options: ReadOptions = {}): Promise<unknown> =>
    rpcCall(url, method, params, {
      timeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
  const unreadable = (what: string, detail: string) =>
    new ChainReadError(`validator ${validator} (${url}): unreadable ${what}: ${detail}`)
  return {
    validator,
    async height(options) {
      const status = await call('status', {}, options)
      if (!isObject(status) || !isCount(status.height)) throw unreadable('status', 'no height')
      return status.height
    },
    async block(height, options) {
      const block = await call('block', { height }, options)
      const problem = blockProblem(block, height)
      if (problem !== undefined) throw unreadable(`block ${height}`, problem)
      const fields = block as RpcBlock
      return {
        height,
        hash: fields.hash,
        stateRoot: fields.state_root,
        txs: fields.txs.map((tx) => ({ hash: tx.hash, from: tx.from, to: tx.to, amount: BigInt(tx.amount) })),
      }
    },
    async balance(address, options) {
      const account = await call('account', { address }, options)
      if (!isObject(account) || !isDecimal(account.balance))
        throw unreadable(`account ${address}`, 'no balance')
      return BigInt(account.balance)
    },
    async genesisAccounts(options) {
      const answer = await call('genesis', {}, options)
      const accounts = isObject(answer) && isObject(answer.genesis) ? answer.genesis.accounts : undefined
      if (!Array.isArray(accounts)) throw unreadable('genesis', 'no accounts')
      const balances = new Map<string, bigint>()
      for (const account of accounts) {
        if (!isObject(account) || !isHash(account.address) || !isDecimal(account.balance))
          throw unreadable('genesis', `bad account ${JSON.stringify(account)}`)
        balances.set(account.address, BigInt(account.balance))
      }
      return balances
    },
  }
}

export interface ReadProgress {
  readonly validator: number
  readonly read: number
  readonly total: number
}

/**
 * Blocks `fromHeight`…`toHeight` of one validator, at most blockReadsInFlightMax requests at a time;
 * `onProgress` hears after every batch.
 */
export async function readBlocks(
  view: ChainView,
  fromHeight: number,
  toHeight: number,
  options: ReadOptions & { readonly onProgress?: (progress: ReadProgress) => void } = {},
): Promise<ChainBlock[]> {
  const blocks: ChainBlock[] = []
  const total = Math.max(0, toHeight - fromHeight + 1)
  for (let start = fromHeight; start <= toHeight; start += blockReadsInFlightMax) {
    const end = Math.min(toHeight, start + blockReadsInFlightMax - 1)
    const heights = Array.from({ length: end - start + 1 }, (_, offset) => start + offset)
    blocks.push(...(await Promise.all(heights.map((height) => view.block(height, options)))))
    options.onProgress?.({ validator: view.validator, read: blocks.length, total })
  }
  return blocks
}

interface RpcBlock {
  readonly hash: string
  readonly state_root: string
  readonly txs: ReadonlyArray<{ hash: string; from: string; to: string; amount: string }>
}

function blockProblem(block: unknown, height: number): string | undefined {
  if (!isObject(block)) return 'not an object'
  if (block.height !== height) return `height ${JSON.stringify(block.height)}`
  if (!isHash(block.hash)) return 'no hash'
  if (!isHash(block.state_root)) return 'no state_root'
  if (!Array.isArray(block.txs)) return 'no txs'
  for (const tx of block.txs) {
    if (!isObject(tx) || !isHash(tx.hash) || !isHash(tx.from) || !isHash(tx.to) || !isDecimal(tx.amount))
      return `bad transaction ${JSON.stringify(tx)}`
  }
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isHash(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}

function isDecimal(value: unknown): value is string {
  return typeof value === 'string' && /^(?:0|[1-9][0-9]*)$/.test(value)
}
