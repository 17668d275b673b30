import { bytesEqual } from '../../crypto/hex.js'
import { blockHash } from '../../ledger/hashing.js'
import { headProbeIntervalMs, headReplyTimeoutMs } from '../../ledger/limits.js'
import type { Hash, QuorumCertificate } from '../../ledger/types.js'
import { type Clock, sleep } from '../env/clock.js'
import type { PeerRequestBudget, RequestLease } from './request-budget.js'
import type { SyncMessage } from './sync-messages.js'

/** A peer's committed head, proven by the QC that certifies its header. */
export interface AuthenticatedHead {
  readonly height: number
  readonly hash: Hash
  readonly heardAtMs: number
}

export type HeadVerdict =
  | { readonly ok: true; readonly head: AuthenticatedHead }
  /** 'unsolicited': not asked for, or already answered (counted, not penalised: a reply can be late). */
  | { readonly ok: false; readonly reason: 'unsolicited' | 'invalid-qc' }

export interface HeadProberDeps {
  readonly budget: PeerRequestBudget
  /** False when the frame could not be queued (the peer is gone). */
  readonly send: (peer: string, message: SyncMessage) => boolean
  readonly peers: () => readonly string[]
  readonly verifyQC: (qc: QuorumCertificate) => boolean
  readonly clock: Clock
}

const replyPollMs = 50

/**
 * Learns peers' committed heads, in a form one peer cannot forge: a head is the head block's header with the
 * QC that certifies it, accepted only from a peer we asked and have not heard from since. A height heard this
 * way is proof that a certified block that high exists, so a gap to it is real.
 */
export class HeadProber {
  readonly #deps: HeadProberDeps
  /** Peers asked for their head and not heard from since, with the lease of the request. */
  readonly #asked = new Map<string, RequestLease>()
  /** Each peer's latest authenticated head (bounded by the validator set). */
  readonly #heads = new Map<string, AuthenticatedHead>()
  #lastProbeMs = Number.NEGATIVE_INFINITY

  constructor(deps: HeadProberDeps) {
    this.#deps = deps
  }

  /**
   * Asks every connected peer for its head, unless a probe went out less than headProbeIntervalMs ago: what
   * consensus asks for (a proposal far ahead proves nothing, and one peer can send many). True if it probed.
   */
  probeSoon(): boolean {
    const nowMs = this.#deps.clock.nowMs()
    if (nowMs - this.#lastProbeMs < headProbeIntervalMs) return false
    this.#lastProbeMs = nowMs
    this.ask(this.#deps.peers())
    return true
  }

  /** Asks each of `peers` that has room in its request budget; returns the peers asked. */
  ask(peers: readonly string[]): string[] {
    const asked: string[] = []
    for (const peer of peers) {
      const lease = this.#deps.budget.tryTake(peer, headReplyTimeoutMs)
      if (lease === undefined) continue
      if (!this.#deps.send(peer, { kind: 'get-head' })) {
        lease.release()
        continue
      }
      this.#asked.set(peer, lease)
      asked.push(peer)
    }
    return asked
  }

  /** Asks `peers` and waits until every peer asked has answered, or headReplyTimeoutMs. */
  async collect(peers: readonly string[], signal: AbortSignal): Promise<Map<string, number>> {
    const startMs = this.#deps.clock.nowMs()
    const asked = this.ask(peers)
    const deadlineMs = startMs + headReplyTimeoutMs
    while (
      !signal.aborted &&
      this.#deps.clock.nowMs() < deadlineMs &&
      asked.some((peer) => this.#asked.has(peer))
    ) {
      await sleep(this.#deps.clock, replyPollMs, signal)
    }
    return this.headsSince(startMs)
  }

  /** Heights of the authenticated heads heard at or after `sinceMs`, by peer. */
  headsSince(sinceMs: number): Map<string, number> {
    const heads = new Map<string, number>()
    for (const [peer, head] of this.#heads) if (head.heardAtMs >= sinceMs) heads.set(peer, head.height)
    return heads
  }

  accept(peer: string, message: Extract<SyncMessage, { kind: 'head' }>): HeadVerdict {
    const lease = this.#asked.get(peer)
    if (lease === undefined) return { ok: false, reason: 'unsolicited' }
    this.#asked.delete(peer)
    lease.release()
    const { header, qc } = message
    const hash = blockHash(header)
    // Cheap checks first: only a QC for exactly this header (same hash, same view) is worth verifying.
    if (!bytesEqual(hash, qc.blockHash) || qc.view !== header.view || !this.#deps.verifyQC(qc))
      return { ok: false, reason: 'invalid-qc' }
    const head: AuthenticatedHead = { height: header.height, hash, heardAtMs: this.#deps.clock.nowMs() }
    this.#heads.set(peer, head)
    return { ok: true, head }
  }
}
