import { toHex } from '../../crypto/hex.js'
import { blockHash } from '../../ledger/hashing.js'
import type { Block, Hash } from '../../ledger/types.js'

/** Don't ask peers for the same missing block more often than this. */
export const blockFetchRetryMs = 1_000
/** Bound on outstanding fetches remembered. */
const outstandingFetchCountMax = 1_024

export type FetchedBlockVerdict =
  | { ok: true; block: Block }
  | { ok: false; reason: 'unsolicited' | 'invalid-qc' | 'invalid-tx' }

/**
 * Fetches blocks of the consensus tree by hash (a proposal's unknown parent). A reply is accepted only if it
 * was asked for (its hash is an outstanding request, which also authenticates it) and its certificate and
 * transactions verify.
 */
export class BlockFetcher {
  readonly #requestedAtMs = new Map<string, number>()

  constructor(
    private readonly broadcastRequest: (hash: Hash) => void,
    private readonly verifyQC: (block: Block) => boolean,
    private readonly verifyTxs: (block: Block) => boolean,
    private readonly nowMs: () => number,
  ) {}

  fetch(hash: Hash): void {
    const key = toHex(hash)
    const now = this.nowMs()
    const last = this.#requestedAtMs.get(key)
    if (last !== undefined && now - last < blockFetchRetryMs) return
    if (this.#requestedAtMs.size >= outstandingFetchCountMax) this.#requestedAtMs.clear()
    this.#requestedAtMs.set(key, now)
    this.broadcastRequest(hash)
  }

  accept(block: Block): FetchedBlockVerdict {
    if (!this.#requestedAtMs.delete(toHex(blockHash(block.header))))
      return { ok: false, reason: 'unsolicited' }
    if (!this.verifyQC(block)) return { ok: false, reason: 'invalid-qc' }
    if (!this.verifyTxs(block)) return { ok: false, reason: 'invalid-tx' }
    return { ok: true, block }
  }
}
