// The peer policy without a transport, on a clock the test moves by hand: what the libp2p host and the
// simulator's network both ask of it.

import { describe, expect, it } from 'vitest'
import { P2PConfigError } from '../../p2p/errors.js'
import { PeerGuard, type PeerPolicy } from '../../p2p/peer-guard.js'
import type { PeerEvent } from '../../p2p/types.js'
import { ManualClock } from '../support/manual-clock.js'

const peerA = 'a'.repeat(64)
const peerB = 'b'.repeat(64)
const consensus = '/quorate/consensus/1.0.0'
const sync = '/quorate/sync/1.0.0'
const startMs = 1_000_000

const policy: PeerPolicy = {
  scoreThreshold: -100,
  scoreDecayPerSecond: 1,
  banDurationBaseMs: 10_000,
  banDurationMaxMs: 25_000,
  penaltyWeights: {
    'invalid-frame': 10,
    'bad-signature': 20,
    'forged-certificate': 60,
    flood: 5,
    'invalid-block': 30,
    'sync-misbehaviour': 10,
  },
  floodReportIntervalMs: 1_000,
}

/** A guard over peers A and B; `log` holds its events and callbacks in the order they happened. */
function createGuard(overrides: Partial<PeerPolicy> = {}) {
  const clock = new ManualClock(startMs)
  const events: PeerEvent[] = []
  const log: string[] = []
  const guard = new PeerGuard({
    peers: [peerA, peerB],
    protocols: new Map([
      [consensus, { framesPerSecondMax: 1, burstFramesMax: 2 }],
      [sync, { framesPerSecondMax: 1, burstFramesMax: 1 }],
    ]),
    policy: { ...policy, ...overrides },
    clock,
    onEvent: (event) => {
      events.push(event)
      log.push(`${event.kind} ${event.nodeKeyHex?.[0]}`)
    },
    onKeepAway: (nodeKeyHex, why) => log.push(`keep-away ${nodeKeyHex[0]} ${why}`),
    onLetBack: (nodeKeyHex) => log.push(`let-back ${nodeKeyHex[0]}`),
  })
  return { guard, clock, events, log }
}

/** Runs the microtasks queued so far (the flood charge is one). */
const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve))

const admittedCount = (guard: PeerGuard, peer: string, protocolId: string, frames: number, atMs: number) =>
  Array.from({ length: frames }, () => guard.admitFrame(peer, protocolId, atMs)).filter(Boolean).length

describe('PeerGuard', () => {
  it('penalties lower the score until the threshold bans the peer: banned, kept away, frames refused', () => {
    const { guard, clock, events, log } = createGuard()
    guard.penalize(peerA, 'forged-certificate')
    expect(events).toEqual([
      {
        kind: 'penalized',
        nodeKeyHex: peerA,
        reason: 'forged-certificate',
        score: -60,
        detail: 'weight 60, score -60.0',
      },
    ])
    expect(guard.isBanned(peerA)).toBe(false)
    clock.advance(10_000)
    // 10 s of decay at 1 point per second: -50, then -80 after this penalty, then -100 (the threshold bans).
    guard.penalize(peerA, 'invalid-block')
    expect(events.at(-1)?.score).toBe(-80)
    guard.penalize(peerA, 'bad-signature')
    expect(log).toEqual(['penalized a', 'penalized a', 'penalized a', 'banned a', 'keep-away a banned'])
    expect(events.at(-2)?.score).toBe(-100)
    expect(events.at(-1)).toEqual({
      kind: 'banned',
      nodeKeyHex: peerA,
      durationMs: 10_000,
      detail: 'banned for 10000 ms (offence 1)',
    })
    expect(guard.isBanned(peerA)).toBe(true)
    expect(guard.keepAwayReason(peerA)).toBe('banned')
    expect(guard.isKeptAway(peerB)).toBe(false)
    expect(guard.peerScores()).toEqual([
      { nodeKeyHex: peerA, score: 0, bannedUntilMs: clock.nowMs() + 10_000 },
      { nodeKeyHex: peerB, score: 0 },
    ])
    // A banned peer's frames are not read, and not counted as a flood either.
    expect(admittedCount(guard, peerA, consensus, 50, 0)).toBe(0)
    expect(admittedCount(guard, peerB, consensus, 1, 0)).toBe(1)
    // Penalties of a banned peer (frames still in the caller's pipeline) change nothing.
    guard.penalize(peerA, 'forged-certificate')
    expect(events.at(-1)).toEqual({
      kind: 'penalized',
      nodeKeyHex: peerA,
      reason: 'forged-certificate',
      detail: 'weight 60 ignored: banned',
    })
    expect(log.filter((entry) => entry.startsWith('keep-away'))).toHaveLength(1)
    clock.advance(5_000)
    expect(events.filter((event) => event.kind === 'flood-dropped')).toEqual([])
  })

  it('the ban ends by its timer: unbanned, let back, frames read again, the score starting over from 0', () => {
    const { guard, clock, log } = createGuard()
    guard.penalize(peerA, 'forged-certificate', 100)
    log.length = 0
    clock.advance(9_999)
    expect(guard.isBanned(peerA)).toBe(true)
    expect(log).toEqual([])
    clock.advance(1)
    expect(log).toEqual(['unbanned a', 'let-back a'])
    expect(guard.isKeptAway(peerA)).toBe(false)
    expect(guard.admitFrame(peerA, consensus, 0)).toBe(true)
    expect(guard.peerScores()).toEqual([
      { nodeKeyHex: peerA, score: 0 },
      { nodeKeyHex: peerB, score: 0 },
    ])
    expect(clock.pendingTimerCount).toBe(0)
  })

  it('each repeat offence doubles the ban, up to the maximum', () => {
    const { guard, clock, events } = createGuard()
    const banDurations: number[] = []
    for (let offence = 1; offence <= 4; offence++) {
      guard.penalize(peerA, 'forged-certificate', 100)
      const ban = events.at(-1)
      expect(ban).toMatchObject({ kind: 'banned', detail: expect.stringContaining(`offence ${offence}`) })
      banDurations.push(ban?.durationMs ?? 0)
      // The ban holds for exactly its duration.
      clock.advance((ban?.durationMs ?? 0) - 1)
      expect(guard.isBanned(peerA)).toBe(true)
      clock.advance(1)
      expect(guard.isBanned(peerA)).toBe(false)
    }
    expect(banDurations).toEqual([10_000, 20_000, 25_000, 25_000])
    expect(events.filter((event) => event.kind === 'unbanned')).toHaveLength(4)
  })

  it('flood gates admit the burst, report drops per protocol once per window, and charge the peer once per window', async () => {
    const { guard, clock, events, log } = createGuard()
    // Monotonic time of the frames is the caller's; the window's timer runs on the injected clock.
    expect(admittedCount(guard, peerA, consensus, 10, 0)).toBe(2)
    expect(admittedCount(guard, peerA, sync, 4, 0)).toBe(1)
    expect(admittedCount(guard, peerB, consensus, 2, 0)).toBe(2)
    await settle()
    expect(log).toEqual([])
    clock.advance(999)
    expect(log).toEqual([])
    clock.advance(1)
    expect(events).toEqual([
      {
        kind: 'flood-dropped',
        nodeKeyHex: peerA,
        protocolId: consensus,
        count: 8,
        detail: '8 inbound frames dropped by flood control',
      },
      {
        kind: 'flood-dropped',
        nodeKeyHex: peerA,
        protocolId: sync,
        count: 3,
        detail: '3 inbound frames dropped by flood control',
      },
    ])
    // The charge comes just after, outside the transport's frame loop.
    await settle()
    expect(events.at(-1)).toMatchObject({ kind: 'penalized', nodeKeyHex: peerA, reason: 'flood', score: -5 })
    expect(log).toEqual(['flood-dropped a', 'flood-dropped a', 'penalized a'])
    // Quiet: no more reports, no timers left.
    clock.advance(10_000)
    await settle()
    expect(log).toHaveLength(3)
    expect(clock.pendingTimerCount).toBe(0)
  })

  it('a drop after the window closes it without waiting for the timer, and a flood that goes on is banned', async () => {
    // Without decay, three flood charges of 5 reach a threshold of -12.
    const { guard, clock, events, log } = createGuard({ scoreThreshold: -12, scoreDecayPerSecond: 0 })
    // Each second: the one token refilled, then three drops. The event loop is busy: the clock's timers do not
    // run, yet the frames' own (monotonic) time moves on, and each window closes at the next one's first drop.
    for (let second = 0; second <= 3; second++) {
      expect(admittedCount(guard, peerA, sync, 4, second * 1_000)).toBe(1)
      await settle()
    }
    expect(events.filter((event) => event.kind === 'flood-dropped').map((event) => event.count)).toEqual([
      3, 3, 3,
    ])
    expect(events.filter((event) => event.kind === 'penalized').map((event) => event.score)).toEqual([
      -5, -10, -15,
    ])
    expect(log.slice(-4)).toEqual(['flood-dropped a', 'penalized a', 'banned a', 'keep-away a banned'])
    // Banned: its frames are refused unread. The window open when the ban began still reports its drops; the
    // charge changes nothing.
    expect(guard.admitFrame(peerA, sync, 5_000)).toBe(false)
    clock.advance(1_000)
    await settle()
    expect(log.slice(-2)).toEqual(['flood-dropped a', 'penalized a'])
    expect(events.at(-1)?.detail).toBe('weight 5 ignored: banned')
    expect(events.at(-2)?.count).toBe(3)
    expect(events.filter((event) => event.kind === 'banned')).toHaveLength(1)
  })

  it('blocked peers: frames refused both ways unread; with disconnect also kept away, until unblocked', () => {
    const { guard, clock, log } = createGuard()
    guard.setBlockedPeers([peerB])
    expect(guard.isBlocked(peerB)).toBe(true)
    expect(guard.isKeptAway(peerB)).toBe(false)
    expect(admittedCount(guard, peerB, consensus, 50, 0)).toBe(0)
    expect(guard.admitFrame(peerA, consensus, 0)).toBe(true)
    clock.advance(5_000)
    // Refused because blocked, not because of a flood: nothing is reported or charged.
    expect(log).toEqual([])

    guard.setBlockedPeers([peerB], { disconnect: true })
    expect(guard.keepAwayReason(peerB)).toBe('blocked')
    expect(log).toEqual(['keep-away b blocked'])
    // A ban while blocked keeps it away again; its end does not let it back while the block holds.
    guard.penalize(peerB, 'forged-certificate', 100)
    expect(guard.keepAwayReason(peerB)).toBe('banned')
    clock.advance(10_000)
    expect(log).toEqual([
      'keep-away b blocked',
      'penalized b',
      'banned b',
      'keep-away b banned',
      'unbanned b',
    ])
    expect(guard.keepAwayReason(peerB)).toBe('blocked')

    guard.setBlockedPeers([])
    expect(log.at(-1)).toBe('let-back b')
    expect(guard.isBlocked(peerB)).toBe(false)
    expect(guard.isKeptAway(peerB)).toBe(false)
    expect(guard.admitFrame(peerB, consensus, 0)).toBe(true)
    // Blocking without disconnect after a disconnecting block lets the peer back (links up, frames dropped).
    guard.setBlockedPeers([peerA], { disconnect: true })
    guard.setBlockedPeers([peerA])
    expect(log.slice(-2)).toEqual(['keep-away a blocked', 'let-back a'])
  })

  it("tells the caller's mistakes apart from a peer's fault", () => {
    const { guard, events } = createGuard()
    expect(() => guard.penalize(peerA, 'no-such-reason' as 'flood')).toThrow(P2PConfigError)
    expect(() => guard.penalize(peerA, 'flood', -1)).toThrow(P2PConfigError)
    expect(() => guard.penalize(peerA, 'flood', Number.NaN)).toThrow(P2PConfigError)
    expect(() => guard.setBlockedPeers(['AB'.repeat(32)])).toThrow(P2PConfigError)
    // Flood state exists only for listed peers on known protocols.
    expect(() => guard.admitFrame('c'.repeat(64), consensus, 0)).toThrow(RangeError)
    expect(() => guard.admitFrame(peerA, '/quorate/unknown/1.0.0', 0)).toThrow(RangeError)
    // Unlisted peers are ignored.
    guard.penalize('c'.repeat(64), 'forged-certificate')
    expect(events).toEqual([])
  })

  it('after close nothing is admitted, charged or ended, and no timer is left', async () => {
    const { guard, clock, log } = createGuard()
    guard.penalize(peerA, 'forged-certificate', 100)
    admittedCount(guard, peerB, consensus, 10, 0)
    expect(clock.pendingTimerCount).toBe(2)
    guard.close()
    expect(clock.pendingTimerCount).toBe(0)
    const logBefore = [...log]
    expect(guard.admitFrame(peerB, consensus, 60_000)).toBe(false)
    guard.penalize(peerB, 'forged-certificate', 100)
    guard.setBlockedPeers([peerB], { disconnect: true })
    clock.advance(60_000)
    await settle()
    expect(log).toEqual(logBefore)
  })
})
