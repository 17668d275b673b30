// Open-loop pacing for a rate-limited level: the k-th transaction of the level is due at startMs + k / rate,
// whichever client sends it. A client claims the next slot before each send and waits until it is due. The
// slot's due time, not the moment a free client reached it, counts as the transaction's start, so a validator
// that falls behind is charged for the queue it caused (no coordinated omission). The level's clients bound
// what is in flight: with fewer than rate × latency of them the rate is not reached, which the achieved
// committed rate in the report shows.

import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

export class RatePacer {
  #claimed = 0

  /** `startMs` is a performance.now() value: the first slot is due then. */
  constructor(
    readonly ratePerSecond: number,
    readonly startMs: number,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(
        `rate: expected a positive number of transactions per second, got ${ratePerSecond}`,
      )
    }
  }

  /** Slots claimed so far. */
  get claimed(): number {
    return this.#claimed
  }

  /** Claims the next slot and returns when it is due, without waiting. */
  claim(): number {
    return this.startMs + (this.#claimed++ * 1_000) / this.ratePerSecond
  }

  /** Claims the next slot, waits until it is due, and returns its due time. */
  async next(): Promise<number> {
    const dueMs = this.claim()
    const waitMs = dueMs - performance.now()
    if (waitMs > 0) await sleep(waitMs)
    return dueMs
  }
}
