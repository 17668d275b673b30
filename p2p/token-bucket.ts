// A token bucket: holds at most `capacity` tokens, refills continuously at `refillPerSecond`, starts full.
// Over any interval of t seconds it grants at most capacity + refillPerSecond × t tokens. Time is passed in
// by the caller, once per batch of requests: reading a clock per frame would cost more than the rest of the
// check.

export class TokenBucket {
  private readonly capacity: number
  private readonly refillPerMs: number
  private tokens: number
  private refilledAtMs: number

  constructor(capacity: number, refillPerSecond: number, nowMs: number) {
    if (!(capacity >= 1) || !(refillPerSecond > 0)) {
      throw new RangeError('a token bucket needs capacity >= 1 and refillPerSecond > 0')
    }
    this.capacity = capacity
    this.refillPerMs = refillPerSecond / 1000
    this.tokens = capacity
    this.refilledAtMs = nowMs
  }

  /** Takes one token if there is one. `nowMs` from a monotonic clock; a step backwards refills nothing. */
  tryTake(nowMs: number): boolean {
    if (nowMs > this.refilledAtMs) {
      this.tokens = Math.min(this.capacity, this.tokens + (nowMs - this.refilledAtMs) * this.refillPerMs)
      this.refilledAtMs = nowMs
    }
    if (this.tokens < 1) {
      return false
    }
    this.tokens -= 1
    return true
  }
}
