import { toHex } from '../../crypto/hex.js'
import type { Receipt, Tx } from '../../ledger/types.js'
import { ReceiptCode } from '../../ledger/types.js'

/**
 * Hashes of recently committed txs kept in memory, so that a client resubmitting what was just committed (the
 * idempotent retry) hears "already committed" without a read of the tx index. At a few thousand tx/s this
 * covers the last several seconds; an older resubmission costs one read.
 */
export const recentCommittedTxCountMax = 32_768

/** What memory can say about a tx: 'unknown' means read the tx index (LedgerStore.hasTx). */
export type CommittedAnswer = 'committed' | 'not-committed' | 'unknown'

/** The store's in-memory index of failed committed txs (LedgerStore.failedNonceMax). */
export interface FailedNonceSource {
  /** The highest nonce of the sender's committed txs that failed, -1 if none; undefined if not known. */
  failedNonceMax(address: Uint8Array): number | undefined
}

export interface CommittedTxLookup {
  lookup(tx: Tx, hashHex: string, committedNonce: number): CommittedAnswer
}

/**
 * "Is this tx committed?" from memory, exactly, for nearly every tx. A committed tx either executed, which raised
 * its sender's nonce above its own (nonces never go down), or failed, which the store's failed-nonce index
 * records. So a tx at or above its sender's committed nonce and above the sender's highest failed nonce was
 * never committed: that is every fresh tx, the common path of admission and of the committer's duplicate check.
 * Only a tx whose nonce is used (or at or below a failed one) needs the tx index, unless it was committed
 * recently. Fed by the one commit path (BlockCommitter), in step with the application state.
 */
export class CommittedTxIndex implements CommittedTxLookup {
  readonly #failedNonces: FailedNonceSource
  readonly #recentCountMax: number
  /** Hex hashes of recently committed (executed or failed, not duplicate) txs, oldest first. */
  readonly #recent = new Set<string>()
  /** The txs of the block being written: memory cannot tell whether they are committed until it lands. */
  #committing: ReadonlySet<string> = new Set()

  constructor(failedNonces: FailedNonceSource, recentCountMax = recentCommittedTxCountMax) {
    this.#failedNonces = failedNonces
    this.#recentCountMax = recentCountMax
  }

  /** `committedNonce`: the sender's nonce in the committed application state, as it is now. */
  lookup(tx: Tx, hashHex: string, committedNonce: number): CommittedAnswer {
    if (this.#committing.has(hashHex)) return 'unknown'
    if (this.#recent.has(hashHex)) return 'committed'
    if (tx.nonce < committedNonce) return 'unknown'
    const failedNonceMax = this.#failedNonces.failedNonceMax(tx.from)
    if (failedNonceMax === undefined || tx.nonce <= failedNonceMax) return 'unknown'
    return 'not-committed'
  }

  /** Before a block's commit batch is written: its txs are 'unknown' until endCommit or abandonCommit. */
  beginCommit(hashHexes: Iterable<string>): void {
    this.#committing = new Set(hashHexes)
  }

  /**
   * Once the block is on disk and the application state is the one after it (in the same synchronous step, so
   * no lookup sees the new nonces without the new hashes): its txs that executed or failed are committed.
   */
  endCommit(receipts: readonly Receipt[]): void {
    for (const receipt of receipts) {
      if (receipt.code === ReceiptCode.duplicate) continue
      this.#recent.add(toHex(receipt.txHash))
    }
    while (this.#recent.size > this.#recentCountMax) {
      const oldest = this.#recent.values().next().value as string
      this.#recent.delete(oldest)
    }
    this.#committing = new Set()
  }

  /** The commit failed: nothing of it was written. */
  abandonCommit(): void {
    this.#committing = new Set()
  }
}
