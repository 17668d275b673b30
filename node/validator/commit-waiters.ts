import { toHex } from '../../crypto/hex.js'
import type { TxLocation } from '../../ledger/store/index.js'
import { type Receipt, ReceiptCode } from '../../ledger/types.js'
import type { Clock } from '../env/clock.js'

/** Bound on transactions waited for at once (each a broadcast_tx_commit request, itself bounded by the RPC). */
export const commitWaitersCountMax = 10_000

/** Where a transaction was committed; with its receipt when the commit itself woke the waiter (no read needed). */
export interface TxCommit extends TxLocation {
  readonly receipt?: Receipt
}

/**
 * Callers waiting for a transaction's commit (broadcast_tx_commit). `waitForCommit` starts listening BEFORE it
 * looks the transaction up, so a commit that lands between the lookup and the wait is never missed.
 */
export class CommitWaiters {
  readonly #clock: Clock
  readonly #byHash = new Map<string, Set<(location: TxCommit | undefined) => void>>()
  #count = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /**
   * The transaction's location once committed: at once if `lookup` finds it, else when `committed` reports
   * it, or undefined after `timeoutMs`, on abort, or when too many are waiting already.
   */
  async waitForCommit(
    hashHex: string,
    options: {
      readonly timeoutMs: number
      readonly signal: AbortSignal
      readonly lookup: () => Promise<TxLocation | undefined>
    },
  ): Promise<TxCommit | undefined> {
    if (this.#count >= commitWaitersCountMax) return options.lookup()
    const waiting = this.#listen(hashHex, options.timeoutMs, options.signal)
    const found = await options.lookup()
    if (found !== undefined) waiting.finish(found)
    return waiting.result
  }

  /**
   * A block committed, with its receipts in block order: wake whoever waits for one of its transactions. A
   * duplicate (committed in an earlier block) wakes nobody: its commit is that earlier one.
   */
  committed(receipts: readonly Receipt[], height: number): void {
    if (this.#count === 0) return
    receipts.forEach((receipt, index) => {
      if (receipt.code === ReceiptCode.duplicate) return
      const waiters = this.#byHash.get(toHex(receipt.txHash))
      if (waiters !== undefined) for (const wake of [...waiters]) wake({ height, index, receipt })
    })
  }

  /** Wakes every waiter with "not committed" (shutdown). */
  close(): void {
    for (const waiters of [...this.#byHash.values()]) for (const wake of [...waiters]) wake(undefined)
  }

  #listen(hashHex: string, timeoutMs: number, signal: AbortSignal) {
    let finish!: (location: TxCommit | undefined) => void
    const result = new Promise<TxCommit | undefined>((resolve) => {
      const waiters = this.#byHash.get(hashHex) ?? new Set()
      this.#byHash.set(hashHex, waiters)
      const onAbort = () => finish(undefined)
      const timer = this.#clock.setTimer(timeoutMs, onAbort)
      finish = (location) => {
        if (!waiters.delete(finish)) return
        this.#count--
        timer.cancel()
        signal.removeEventListener('abort', onAbort)
        if (waiters.size === 0) this.#byHash.delete(hashHex)
        resolve(location)
      }
      waiters.add(finish)
      this.#count++
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })
    return { result, finish }
  }
}
