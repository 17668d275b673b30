// The peer policy of a validator, apart from any transport: scores and penalties, bans with their end timers
// and doubling, inbound flood control per (peer, protocol) with its reports and the 'flood' charge, and the
// testnet partition switch (blocked peers). The libp2p host (host.ts) and the simulator's network ask it the
// same questions (may this frame be read? is this peer kept away?) and act on its two callbacks: `onKeepAway`
// (close the peer's connections, stop dialing it) and `onLetBack` (dial it again). Time comes from an injected
// Clock; flood buckets take the caller's monotonic time, as the host reads it once per chunk.

import type { Clock, Timer } from './clock.js'
import { banOffencesForgetMs } from './constants.js'
import { P2PConfigError } from './errors.js'
import { FloodControl, type FloodGate, type FloodRates } from './flood-control.js'
import { type Ban, PeerScoreBook } from './peer-scores.js'
import { penaltyWeight } from './penalty.js'
import type { PeerEvent, PeerScore, PenaltyReason } from './types.js'

/** Why a listed peer gets no connection either way. */
export type KeepAwayReason = 'banned' | 'blocked'

/** The policy's numbers; the host resolves them from its options (host-config.ts). */
export interface PeerPolicy {
  /** Negative. */
  readonly scoreThreshold: number
  readonly scoreDecayPerSecond: number
  readonly banDurationBaseMs: number
  readonly banDurationMaxMs: number
  readonly penaltyWeights: Readonly<Record<PenaltyReason, number>>
  readonly floodReportIntervalMs: number
  /** Default `banOffencesForgetMs`. */
  readonly offencesForgetMs?: number
}

export interface PeerGuardOptions {
  /** Node keys (lowercase hex) of the listed peers: the only ones scored, gated, banned or blocked. */
  peers: Iterable<string>
  /** Inbound flood rates by protocol id: the only protocols gated. */
  protocols: ReadonlyMap<string, FloodRates>
  policy: PeerPolicy
  clock: Clock
  /** 'penalized', 'banned', 'unbanned' and 'flood-dropped'. */
  onEvent: (event: PeerEvent) => void
  /**
   * The peer is banned, or blocked with `disconnect`: close its connections and stop dialing it. Called at
   * every ban (even of a peer already blocked) and when blocking starts, before the ban's timer is set.
   */
  onKeepAway: (nodeKeyHex: string, why: KeepAwayReason) => void
  /** Neither banned nor blocked with `disconnect` any more: dial it again. */
  onLetBack: (nodeKeyHex: string) => void
}

const nodeKeyHexPattern = /^[0-9a-f]{64}$/

export class PeerGuard {
  private readonly options: PeerGuardOptions
  private readonly peers: ReadonlySet<string>
  private readonly scores: PeerScoreBook
  private readonly floodControl: FloodControl
  /** nodeKeyHex → the timer that ends its ban; at most one per listed peer. */
  private readonly banTimers = new Map<string, Timer>()
  /** Testnet partitions: frames to and from these peers are dropped. */
  private blockedNodeKeyHexes: ReadonlySet<string> = new Set()
  /** Whether blocked peers are also kept away (disconnected and refused), like banned ones. */
  private blockedDisconnect = false
  private closed = false

  constructor(options: PeerGuardOptions) {
    this.options = options
    this.peers = new Set(options.peers)
    const { policy, clock } = options
    this.scores = new PeerScoreBook(this.peers, {
      threshold: policy.scoreThreshold,
      decayPerSecond: policy.scoreDecayPerSecond,
      banDurationBaseMs: policy.banDurationBaseMs,
      banDurationMaxMs: policy.banDurationMaxMs,
      offencesForgetMs: policy.offencesForgetMs ?? banOffencesForgetMs,
      nowMs: () => clock.nowMs(),
    })
    this.floodControl = new FloodControl({
      reportIntervalMs: policy.floodReportIntervalMs,
      clock,
      onDropped: (nodeKeyHex, protocolId, count) =>
        this.options.onEvent({
          kind: 'flood-dropped',
          nodeKeyHex,
          protocolId,
          count,
          detail: `${count} inbound frames dropped by flood control`,
        }),
      // Reports may come from inside `admitFrame`, in the transport's frame loop: a ban (which closes that very
      // stream) waits until the loop is done with its chunk.
      onFlood: (nodeKeyHex) => queueMicrotask(() => this.penalize(nodeKeyHex, 'flood')),
    })
  }

  /**
   * Whether the next inbound frame from a listed peer on a gated protocol may be read, from its length prefix
   * alone: no when the peer is banned or blocked (the frame is not counted), else its flood gate decides (a
   * refused frame is counted, reported, and charged once per interval). `receivedAtMs`: monotonic time.
   */
  admitFrame(nodeKeyHex: string, protocolId: string, receivedAtMs: number): boolean {
    if (this.closed || this.blockedNodeKeyHexes.has(nodeKeyHex) || this.scores.isBanned(nodeKeyHex)) {
      return false
    }
    return this.floodGate(nodeKeyHex, protocolId, receivedAtMs).admit(receivedAtMs)
  }

  /**
   * Lowers a listed peer's score by `weight` (default: the reason's weight) and reports 'penalized'. At or
   * below the threshold the peer is banned: 'banned', `onKeepAway`, and after the ban's duration 'unbanned'
   * and `onLetBack`. Penalties of a banned peer change nothing; unlisted peers are ignored. An unknown reason or
   * an invalid weight is the caller's mistake (`P2PConfigError`).
   */
  penalize(nodeKeyHex: string, reason: PenaltyReason, weight?: number): void {
    const appliedWeight = penaltyWeight(reason, weight, this.options.policy.penaltyWeights)
    if (this.closed || !this.peers.has(nodeKeyHex)) {
      return
    }
    const outcome = this.scores.penalize(nodeKeyHex, appliedWeight)
    if (outcome.kind === 'ignored-while-banned') {
      this.options.onEvent({
        kind: 'penalized',
        nodeKeyHex,
        reason,
        detail: `weight ${appliedWeight} ignored: banned`,
      })
      return
    }
    this.options.onEvent({
      kind: 'penalized',
      nodeKeyHex,
      reason,
      score: outcome.score,
      detail: `weight ${appliedWeight}, score ${outcome.score.toFixed(1)}`,
    })
    if (outcome.ban !== undefined) {
      this.startBan(nodeKeyHex, outcome.ban)
    }
  }

  /**
   * Replaces the set of blocked peers: frames to and from them are dropped (`isBlocked`, `admitFrame`). With
   * `disconnect`, they are also kept away, like banned peers, until unblocked. Peers that start being kept away
   * get `onKeepAway`; those that stop, `onLetBack`.
   */
  setBlockedPeers(nodeKeyHexes: readonly string[], options: { disconnect?: boolean } = {}): void {
    for (const nodeKeyHex of nodeKeyHexes) {
      if (typeof nodeKeyHex !== 'string' || !nodeKeyHexPattern.test(nodeKeyHex)) {
        throw new P2PConfigError(
          `a blocked peer must be a node key as 64 lowercase hex digits: ${nodeKeyHex}`,
        )
      }
    }
    if (this.closed) {
      return
    }
    const keptAwayBefore = new Set([...this.peers].filter((nodeKeyHex) => this.isKeptAway(nodeKeyHex)))
    this.blockedNodeKeyHexes = new Set(nodeKeyHexes)
    this.blockedDisconnect = options.disconnect === true
    for (const nodeKeyHex of this.peers) {
      const keptAway = this.isKeptAway(nodeKeyHex)
      if (keptAway && !keptAwayBefore.has(nodeKeyHex)) {
        this.options.onKeepAway(nodeKeyHex, 'blocked')
      } else if (!keptAway && keptAwayBefore.has(nodeKeyHex)) {
        this.options.onLetBack(nodeKeyHex)
      }
    }
  }

  /** Frames to and from this peer are dropped (testnet partition). */
  isBlocked(nodeKeyHex: string): boolean {
    return this.blockedNodeKeyHexes.has(nodeKeyHex)
  }

  isBanned(nodeKeyHex: string): boolean {
    return this.scores.isBanned(nodeKeyHex)
  }

  /** Banned, or blocked with `disconnect`: no connection either way, no dialing. */
  isKeptAway(nodeKeyHex: string): boolean {
    return this.keepAwayReason(nodeKeyHex) !== undefined
  }

  /** Why the peer is kept away ('banned' first), or undefined when it is not. */
  keepAwayReason(nodeKeyHex: string): KeepAwayReason | undefined {
    if (this.scores.isBanned(nodeKeyHex)) {
      return 'banned'
    }
    return this.blockedDisconnect && this.blockedNodeKeyHexes.has(nodeKeyHex) ? 'blocked' : undefined
  }

  /** Every listed peer's current score, and when its ban ends if it is banned. */
  peerScores(): PeerScore[] {
    return this.scores.snapshot()
  }

  /** Cancels every timer (ban ends, flood reports); afterwards nothing is admitted, penalized or reported. */
  close(): void {
    this.closed = true
    this.floodControl.close()
    for (const timer of this.banTimers.values()) {
      timer.cancel()
    }
    this.banTimers.clear()
  }

  private floodGate(nodeKeyHex: string, protocolId: string, nowMs: number): FloodGate {
    const rates = this.options.protocols.get(protocolId)
    // The transport asks only about authenticated, listed peers on its own protocols; anything else would let
    // flood state grow without bound.
    if (!this.peers.has(nodeKeyHex) || rates === undefined) {
      throw new RangeError(`no flood gate for peer ${nodeKeyHex} on protocol ${protocolId}`)
    }
    return this.floodControl.gate(nodeKeyHex, protocolId, rates, nowMs)
  }

  private startBan(nodeKeyHex: string, ban: Ban): void {
    this.options.onEvent({
      kind: 'banned',
      nodeKeyHex,
      durationMs: ban.durationMs,
      detail: `banned for ${ban.durationMs} ms (offence ${ban.offence})`,
    })
    this.options.onKeepAway(nodeKeyHex, 'banned')
    this.banTimers.get(nodeKeyHex)?.cancel()
    this.banTimers.set(
      nodeKeyHex,
      this.options.clock.setTimer(ban.durationMs, () => this.endBan(nodeKeyHex)),
    )
  }

  private endBan(nodeKeyHex: string): void {
    this.banTimers.delete(nodeKeyHex)
    if (this.closed || !this.scores.endBan(nodeKeyHex)) {
      return
    }
    this.options.onEvent({ kind: 'unbanned', nodeKeyHex })
    if (!this.isKeptAway(nodeKeyHex)) {
      this.options.onLetBack(nodeKeyHex)
    }
  }
}
