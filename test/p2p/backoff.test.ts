import { afterEach, describe, expect, it, vi } from 'vitest'
import { reconnectDelayMs } from '../../p2p/backoff.js'
import { Reconnector } from '../../p2p/reconnector.js'

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

describe('reconnector', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('retries a failing peer with growing delays and stops every timer on close', async () => {
    vi.useFakeTimers()
    const dialTimesMs: number[] = []
    const reconnector = new Reconnector<string>({
      peers: ['peer'],
      peerKey: (peer) => peer,
      isConnected: () => false,
      dial: async () => {
        dialTimesMs.push(Date.now())
        throw new Error('connection refused')
      },
      backoff: { baseMs: 100, maxMs: 1000, random: () => 0.999_999 },
    })
    const startMs = Date.now()
    reconnector.start()
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 1000 + 1000 + 1)
    expect(dialTimesMs.map((timeMs) => timeMs - startMs)).toEqual([0, 100, 300, 700, 1500, 2500, 3500])
    reconnector.close()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(dialTimesMs).toHaveLength(7)
  })

  it('resets the backoff after a stable connection but not after one that drops at once', async () => {
    vi.useFakeTimers()
    let connected = false
    let dials = 0
    const reconnector = new Reconnector<string>({
      peers: ['peer'],
      peerKey: (peer) => peer,
      isConnected: () => connected,
      dial: async () => {
        dials++
        connected = true
        reconnector.onConnected('peer')
      },
      backoff: { baseMs: 100, maxMs: 100_000, random: () => 0.999_999 },
    })
    reconnector.start()
    expect(dials).toBe(1)
    // Refused right after connecting, three times: the delays grow (100, 200, 400).
    for (const expectedDelayMs of [100, 200, 400]) {
      connected = false
      reconnector.onDisconnected('peer')
      await vi.advanceTimersByTimeAsync(expectedDelayMs - 1)
      const before = dials
      await vi.advanceTimersByTimeAsync(1)
      expect(dials).toBe(before + 1)
    }
    // Stable for a while, then dropped: back to the base delay.
    await vi.advanceTimersByTimeAsync(5_000)
    connected = false
    reconnector.onDisconnected('peer')
    const before = dials
    await vi.advanceTimersByTimeAsync(100)
    expect(dials).toBe(before + 1)
    reconnector.close()
  })
})
