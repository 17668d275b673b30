import { describe, expect, it } from 'vitest'
import { reconnectDelayMs } from '../../p2p/backoff.js'

describe('reconnect backoff', () => {
  const options = { baseMs: 250, maxMs: 10_000 }

  it('doubles per failed attempt, up to the maximum', () => {
    const atTop = (attempt: number) => reconnectDelayMs(attempt, { ...options, random: () => 0.999_999 })
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(atTop)).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000])
    expect(atTop(10_000)).toBe(10_000)
  })

  it('jitters each delay within [half, all] of its step', () => {
    for (const attempt of [0, 3, 9]) {
      const step = Math.min(options.maxMs, options.baseMs * 2 ** attempt)
      expect(reconnectDelayMs(attempt, { ...options, random: () => 0 })).toBe(step / 2)
      const middle = reconnectDelayMs(attempt, { ...options, random: () => 0.5 })
      expect(middle).toBeGreaterThan(step / 2)
      expect(middle).toBeLessThan(step)
    }
  })
})
