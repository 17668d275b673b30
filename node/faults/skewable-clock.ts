import type { Clock, Timer } from '../env/clock.js'

/**
 * A clock whose reading can be stepped ahead or behind while the validator runs (testnet clock-skew injection,
 * like an NTP step). Timers are relative and keep their durations: only `nowMs` moves.
 */
export class SkewableClock implements Clock {
  #skewMs = 0

  constructor(private readonly base: Clock) {}

  get skewMs(): number {
    return this.#skewMs
  }

  setSkewMs(skewMs: number): void {
    if (!Number.isSafeInteger(skewMs))
      throw new RangeError(`clock skew must be a whole number of ms: ${skewMs}`)
    this.#skewMs = skewMs
  }

  nowMs(): number {
    return this.base.nowMs() + this.#skewMs
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    return this.base.setTimer(delayMs, callback)
  }
}
