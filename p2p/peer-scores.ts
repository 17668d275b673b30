// Peer scores and bans, as data: no timers, no I/O, an injected clock. The host asks it what a penalty does
// and acts (disconnects, refuses, schedules the ban's end); tests drive it with a fake clock.
//
// A score starts at 0; a penalty subtracts its weight; the score recovers `decayPerSecond` points per second
// up to 0. At or below `threshold` the peer is banned for base × 2^(earlier offences), capped, and its score
// is reset to 0. Offences are forgotten after `offencesForgetMs` without a ban.

import type { PeerScore } from './types.js'

export interface PeerScoreBookOptions {
  /** Negative. */
  threshold: number
  decayPerSecond: number
  banDurationBaseMs: number
  banDurationMaxMs: number
  offencesForgetMs: number
  /** Wall-clock milliseconds (ban ends are reported as epoch times). */
  nowMs: () => number
}

export interface Ban {
  durationMs: number
  untilMs: number
  /** 1 for the first ban (since offences were last forgotten). */
  offence: number
}

export type PenaltyOutcome =
  /** The score after the penalty; `ban` when it reached the threshold (the score is then reset to 0). */
  | { kind: 'scored'; score: number; ban?: Ban }
  /** The peer is banned already: the penalty changes nothing. */
  | { kind: 'ignored-while-banned' }

interface PeerStanding {
  /** Score as of `scoredAtMs`; decay since then is applied on read. */
  score: number
  scoredAtMs: number
  offences: number
  bannedUntilMs: number | undefined
  lastBanEndedAtMs: number | undefined
}

/** Doubling stops here: 2 ** 32 × any sane base already exceeds every cap. */
const banDoublingsMax = 32

export class PeerScoreBook {
  private readonly options: PeerScoreBookOptions
  private readonly standings = new Map<string, PeerStanding>()

  /** `peerKeys`: the only peers ever scored (the permissioned set); the book never grows past them. */
  constructor(peerKeys: Iterable<string>, options: PeerScoreBookOptions) {
    if (!(options.threshold < 0) || !(options.decayPerSecond >= 0)) {
      throw new RangeError('a score threshold must be negative and the decay not negative')
    }
    this.options = options
    const nowMs = options.nowMs()
    for (const key of peerKeys) {
      this.standings.set(key, {
        score: 0,
        scoredAtMs: nowMs,
        offences: 0,
        bannedUntilMs: undefined,
        lastBanEndedAtMs: undefined,
      })
    }
  }

  has(peerKey: string): boolean {
    return this.standings.has(peerKey)
  }

  isBanned(peerKey: string): boolean {
    return this.standings.get(peerKey)?.bannedUntilMs !== undefined
  }

  /** The current score (decay applied); 0 for unknown peers. */
  score(peerKey: string): number {
    const standing = this.standings.get(peerKey)
    return standing === undefined ? 0 : this.decayedScore(standing, this.options.nowMs())
  }

  /** Subtracts `weight` (>= 0) from a listed peer's score; bans it at the threshold. */
  penalize(peerKey: string, weight: number): PenaltyOutcome {
    const standing = this.standings.get(peerKey)
    if (standing === undefined) {
      throw new RangeError(`peer ${peerKey} is not scored`)
    }
    if (!(Number.isFinite(weight) && weight >= 0)) {
      throw new RangeError(`a penalty weight must be a finite number >= 0, got ${weight}`)
    }
    if (standing.bannedUntilMs !== undefined) {
      return { kind: 'ignored-while-banned' }
    }
    const nowMs = this.options.nowMs()
    const score = this.decayedScore(standing, nowMs) - weight
    standing.scoredAtMs = nowMs
    if (score > this.options.threshold) {
      standing.score = score
      return { kind: 'scored', score }
    }
    if (
      standing.lastBanEndedAtMs !== undefined &&
      nowMs - standing.lastBanEndedAtMs >= this.options.offencesForgetMs
    ) {
      standing.offences = 0
    }
    const durationMs = Math.min(
      this.options.banDurationMaxMs,
      this.options.banDurationBaseMs * 2 ** Math.min(standing.offences, banDoublingsMax),
    )
    standing.offences++
    standing.score = 0
    standing.bannedUntilMs = nowMs + durationMs
    return {
      kind: 'scored',
      score,
      ban: { durationMs, untilMs: standing.bannedUntilMs, offence: standing.offences },
    }
  }

  /** Ends a ban (the host calls it from the ban's timer). False when the peer was not banned. */
  endBan(peerKey: string): boolean {
    const standing = this.standings.get(peerKey)
    if (standing?.bannedUntilMs === undefined) {
      return false
    }
    const nowMs = this.options.nowMs()
    standing.bannedUntilMs = undefined
    standing.lastBanEndedAtMs = nowMs
    // The score was reset when the ban started; it starts recovering only now.
    standing.score = 0
    standing.scoredAtMs = nowMs
    return true
  }

  /** Every listed peer's standing. */
  snapshot(): PeerScore[] {
    const nowMs = this.options.nowMs()
    return [...this.standings].map(([nodeKeyHex, standing]) =>
      standing.bannedUntilMs === undefined
        ? { nodeKeyHex, score: this.decayedScore(standing, nowMs) }
        : { nodeKeyHex, score: 0, bannedUntilMs: standing.bannedUntilMs },
    )
  }

  private decayedScore(standing: PeerStanding, nowMs: number): number {
    if (standing.bannedUntilMs !== undefined) {
      return 0
    }
    const elapsedMs = Math.max(0, nowMs - standing.scoredAtMs)
    return Math.min(0, standing.score + (elapsedMs / 1000) * this.options.decayPerSecond)
  }
}
