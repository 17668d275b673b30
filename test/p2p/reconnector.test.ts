import { afterEach, describe, expect, it, vi } from 'vitest'
import { Reconnector } from '../../p2p/reconnector.js'

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

  it('does not dial a held peer at all, and dials it again after the base delay once released', async () => {
    vi.useFakeTimers()
    let connected = true
    const dialTimesMs: number[] = []
    const reconnector = new Reconnector<string>({
      peers: ['peer'],
      peerKey: (peer) => peer,
      isConnected: () => connected,
      dial: async () => {
        dialTimesMs.push(Date.now())
        connected = true
        reconnector.onConnected('peer')
      },
      backoff: { baseMs: 100, maxMs: 1000, random: () => 0.999_999 },
    })
    reconnector.start()
    expect(dialTimesMs).toEqual([])
    // Banned: held, then disconnected. Nothing is dialed however long the hold lasts.
    reconnector.hold('peer')
    connected = false
    reconnector.onDisconnected('peer')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(dialTimesMs).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
    const releasedAtMs = Date.now()
    reconnector.release('peer')
    await vi.advanceTimersByTimeAsync(100)
    expect(dialTimesMs).toEqual([releasedAtMs + 100])
    reconnector.close()
  })
})
