import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../../p2p/token-bucket.js'

describe('token bucket', () => {
  it('grants the burst at once, then the rate, and never more than capacity + rate × elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
        (capacity, refillPerSecond, stepsMs) => {
          const startMs = 1_000
          const bucket = new TokenBucket(capacity, refillPerSecond, startMs)
          let nowMs = startMs
          let granted = 0
          for (const stepMs of stepsMs) {
            nowMs += stepMs
            // Ask several times per step, like frames arriving in one chunk.
            for (let ask = 0; ask < 5; ask++) {
              if (bucket.tryTake(nowMs)) {
                granted++
              }
            }
            expect(granted).toBeLessThanOrEqual(
              Math.floor(capacity + (refillPerSecond * (nowMs - startMs)) / 1000),
            )
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refills at the configured rate, up to capacity only', () => {
    const bucket = new TokenBucket(3, 10, 0)
    expect([1, 2, 3, 4].map(() => bucket.tryTake(0))).toEqual([true, true, true, false])
    // 10 per second: one token per 100 ms.
    expect(bucket.tryTake(99)).toBe(false)
    expect(bucket.tryTake(100)).toBe(true)
    expect(bucket.tryTake(100)).toBe(false)
    // A long pause refills to capacity, not beyond.
    const granted = Array.from({ length: 5 }, () => bucket.tryTake(60_000)).filter(Boolean).length
    expect(granted).toBe(3)
  })

  it('a clock step backwards refills nothing and takes nothing away', () => {
    const bucket = new TokenBucket(1, 1, 10_000)
    expect(bucket.tryTake(10_000)).toBe(true)
    expect(bucket.tryTake(5_000)).toBe(false)
    expect(bucket.tryTake(10_999)).toBe(false)
    expect(bucket.tryTake(11_000)).toBe(true)
  })
})
