// INTERIM: the simulator's peer scoring, until p2p/peer-guard.ts (the host's own policy, extracted) lands.
import type { ProtocolName } from '../../node/env/network.js'
import { protocolLimits } from '../../node/protocols.js'
import {
  banDurationBaseMsDefault,
  banDurationMaxMsDefault,
  banOffencesForgetMs,
  floodReportIntervalMsDefault,
  penaltyWeightsDefault,
  scoreDecayPerSecondDefault,
  scoreThresholdDefault,
} from '../../p2p/constants.js'
import type { PenaltyReason } from '../../p2p/index.js'
import { PeerScoreBook } from '../../p2p/peer-scores.js'
import { TokenBucket } from '../../p2p/token-bucket.js'

export class SimGuard {
  readonly #scores: PeerScoreBook
  readonly #bannedUntil = new Map<string, number>()
  readonly #gates = new Map<string, TokenBucket>()
  readonly #floodChargedAt = new Map<string, number>()
  readonly #nowMs: () => number

  constructor(peers: readonly string[], nowMs: () => number) {
    this.#nowMs = nowMs
    this.#scores = new PeerScoreBook(peers, {
      threshold: scoreThresholdDefault,
      decayPerSecond: scoreDecayPerSecondDefault,
      banDurationBaseMs: banDurationBaseMsDefault,
      banDurationMaxMs: banDurationMaxMsDefault,
      offencesForgetMs: banOffencesForgetMs,
      nowMs,
    })
  }

  keptAway(peer: string): boolean {
    const until = this.#bannedUntil.get(peer)
    if (until === undefined) return false
    if (until > this.#nowMs()) return true
    this.#bannedUntil.delete(peer)
    this.#scores.endBan(peer)
    return false
  }

  /** Whether a frame may be read; false charges 'flood' at most once per report interval. */
  admit(peer: string, protocol: ProtocolName): string | undefined {
    const key = `${peer}/${protocol}`
    let gate = this.#gates.get(key)
    if (gate === undefined) {
      const limits = protocolLimits[protocol]
      gate = new TokenBucket(limits.burstFramesMax, limits.framesPerSecondMax, this.#nowMs())
      this.#gates.set(key, gate)
    }
    if (gate.tryTake(this.#nowMs())) return undefined
    const last = this.#floodChargedAt.get(peer) ?? Number.NEGATIVE_INFINITY
    if (this.#nowMs() - last >= floodReportIntervalMsDefault) {
      this.#floodChargedAt.set(peer, this.#nowMs())
      return 'flood'
    }
    return 'dropped'
  }

  /** Returns true when the penalty banned the peer. */
  penalize(peer: string, reason: PenaltyReason): boolean {
    if (!this.#scores.has(peer)) return false
    const outcome = this.#scores.penalize(peer, penaltyWeightsDefault[reason])
    if (outcome.kind !== 'scored' || outcome.ban === undefined) return false
    this.#bannedUntil.set(peer, outcome.ban.untilMs)
    return true
  }
}
