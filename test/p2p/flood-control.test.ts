import { afterEach, describe, expect, it, vi } from 'vitest'
import { FloodControl } from '../../p2p/flood-control.js'

describe('flood control', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  function createControl() {
    const dropped: Array<{ peer: string; protocolId: string; count: number; atMs: number }> = []
    const floods: Array<{ peer: string; atMs: number }> = []
    const control = new FloodControl({
      reportIntervalMs: 1_000,
      onDropped: (peer, protocolId, count) => dropped.push({ peer, protocolId, count, atMs: Date.now() }),
      onFlood: (peer) => floods.push({ peer, atMs: Date.now() }),
    })
    return { control, dropped, floods }
  }

  it('admits the burst, drops the rest, and reports each peer once per interval with per-protocol counts', async () => {
    vi.useFakeTimers({ now: 0 })
    const { control, dropped, floods } = createControl()
    const rates = { framesPerSecondMax: 10, burstFramesMax: 5 }
    const consensus = control.gate('a', '/consensus', rates, 0)
    const tx = control.gate('a', '/tx', rates, 0)
    const otherPeer = control.gate('b', '/consensus', rates, 0)
    expect(control.gate('a', '/consensus', rates, 0)).toBe(consensus)

    const admitted = (gate: typeof consensus, frames: number, nowMs: number) =>
      Array.from({ length: frames }, () => gate.admit(nowMs)).filter(Boolean).length
    expect(admitted(consensus, 100, 0)).toBe(5)
    expect(admitted(tx, 7, 0)).toBe(5)
    expect(admitted(otherPeer, 3, 0)).toBe(3)
    expect(dropped).toEqual([])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(dropped).toEqual([
      { peer: 'a', protocolId: '/consensus', count: 95, atMs: 1_000 },
      { peer: 'a', protocolId: '/tx', count: 2, atMs: 1_000 },
    ])
    expect(floods).toEqual([{ peer: 'a', atMs: 1_000 }])
    // Quiet: no reports, no timers.
    await vi.advanceTimersByTimeAsync(5_000)
    expect(floods).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(0)
    control.close()
  })

  it('a drop arriving after the interval closes the window itself, even if the timer is late', () => {
    vi.useFakeTimers({ now: 0 })
    const { control, dropped, floods } = createControl()
    const gate = control.gate('a', '/consensus', { framesPerSecondMax: 0.001, burstFramesMax: 1 }, 0)
    gate.admit(0)
    gate.admit(0)
    gate.admit(500)
    // The event loop is busy: no timer has run, but frames keep arriving with their own clock.
    gate.admit(1_000)
    expect(dropped.map(({ count }) => count)).toEqual([2])
    expect(floods).toHaveLength(1)
    // The drop at 1000 opened the next window.
    gate.admit(1_999.9)
    gate.admit(2_000)
    expect(dropped.map(({ count }) => count)).toEqual([2, 2])
    control.close()
    expect(vi.getTimerCount()).toBe(0)
  })
})
