import type { Hash, Tx } from '../../ledger/types.js'

export interface MempoolJournalStore {
  saveMempoolTxs(txs: ReadonlyArray<{ readonly hash: Hash; readonly tx: Tx }>): Promise<void>
}

/**
 * Makes admitted transactions durable before they are acknowledged, with group commit: every transaction
 * admitted while one synced write is in flight goes into the next write, so a burst costs a few fsyncs, not one
 * each. `append` resolves once the transaction's batch is on disk, and rejects if that write failed.
 */
export class MempoolJournal {
  readonly #store: MempoolJournalStore
  #queued: Array<{ hash: Hash; tx: Tx }> = []
  /** The write in flight (or the last one). */
  #writing: Promise<void> = Promise.resolve()
  /** The write that will take what is queued, once #writing is done. */
  #next: Promise<void> | null = null

  constructor(store: MempoolJournalStore) {
    this.#store = store
  }

  append(hash: Hash, tx: Tx): Promise<void> {
    this.#queued.push({ hash, tx })
    if (this.#next === null) {
      const next = this.#writing
        .catch(() => {}) // that write's callers were told; this batch gets its own attempt
        .then(() => {
          const batch = this.#queued
          this.#queued = []
          this.#next = null
          return this.#store.saveMempoolTxs(batch)
        })
      this.#next = next
      this.#writing = next
    }
    return this.#next
  }
}
