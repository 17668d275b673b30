import {
  blockFetchAttemptTimeoutMs,
  headProbeIntervalMs,
  syncRequestsOutstandingPerPeerMax,
} from '../../ledger/limits.js'
import { TokenBucket } from '../../p2p/token-bucket.js'
import type { Clock } from '../env/clock.js'
import { protocolLimits } from '../protocols.js'

/**
 * Sync requests sent to one peer per second, sustained and at once: half of what the peer's p2p layer admits
 * from us on the sync protocol. The other half is room for our replies to its own requests (bounded the same
 * way on its side), so the frames we send it never exceed its admission rate.
 */
export const syncRequestsPerSecondMax = protocolLimits.sync.framesPerSecondMax / 2
export const syncRequestBurstMax = protocolLimits.sync.burstFramesMax / 2

/** One request's hold on a peer's budget: until its reply came (release) or its timeout passed. */
export interface RequestLease {
  readonly peer: string
  readonly expiresAtMs: number
  /** The reply came (or the request was never sent): the slot is free again. Idempotent. */
  release(): void
}

interface Slot {
  readonly expiresAtMs: number
  readonly requestClass: RequestClass
  released: boolean
}

/**
 * 'bulk': single-block fetches for consensus, which can keep a peer's one slot busy back to back (a replica far
 * behind fetches parent after parent). 'priority': head probes and block-sync batches. A priority request that
 * finds the slot taken by a bulk one reserves it: bulk requests to that peer wait for priorityReservationMs, so
 * the next probe gets the slot. Without it the fetches of a replica 100 blocks behind starved every head probe, and it never
 * started the block sync that would have caught it up (simulator, seed 26, n = 4).
 */
export type RequestClass = 'bulk' | 'priority'

/** How long a refused priority request keeps bulk requests off a peer: longer than a probe period. */
export const priorityReservationMs = headProbeIntervalMs + blockFetchAttemptTimeoutMs

export interface RequestBudgetLimits {
  readonly outstandingPerPeerMax: number
  readonly perSecondMax: number
  readonly burstMax: number
}

const defaultLimits: RequestBudgetLimits = {
  outstandingPerPeerMax: syncRequestsOutstandingPerPeerMax,
  perSecondMax: syncRequestsPerSecondMax,
  burstMax: syncRequestBurstMax,
}

/**
 * The one outbound budget per peer that every sync request (single-block fetches, head probes, block-sync
 * batches) takes from: a bounded number outstanding and a token bucket for the rate. An honest validator then
 * never looks like a flooder to an honest server, whatever its own peers make it fetch. Peers are validators'
 * node keys, so the maps are bounded by the validator set.
 */
export class PeerRequestBudget {
  readonly #clock: Clock
  readonly #limits: RequestBudgetLimits
  readonly #slots = new Map<string, Slot[]>()
  readonly #buckets = new Map<string, TokenBucket>()
  /** Per peer, until when bulk requests leave its slot to a priority request that was refused. */
  readonly #reservedUntilMs = new Map<string, number>()

  constructor(clock: Clock, limits: RequestBudgetLimits = defaultLimits) {
    this.#clock = clock
    this.#limits = limits
  }

  /**
   * A lease for one request to `peer` that holds for at most `timeoutMs`, or undefined when the peer already
   * has the most requests outstanding or the rate allows none now (no token is spent then), or, for a bulk
   * request, while a refused priority request has reserved the peer.
   */
  tryTake(
    peer: string,
    timeoutMs: number,
    requestClass: RequestClass = 'priority',
  ): RequestLease | undefined {
    const nowMs = this.#clock.nowMs()
    if (requestClass === 'bulk' && (this.#reservedUntilMs.get(peer) ?? 0) > nowMs) return undefined
    const slots = this.#liveSlots(peer, nowMs)
    if (slots.length >= this.#limits.outstandingPerPeerMax) {
      const heldByBulk = slots.some((slot) => slot.requestClass === 'bulk')
      if (requestClass === 'priority' && heldByBulk)
        this.#reservedUntilMs.set(peer, nowMs + priorityReservationMs)
      return undefined
    }
    if (!this.#bucket(peer, nowMs).tryTake(nowMs)) return undefined
    if (requestClass === 'priority') this.#reservedUntilMs.delete(peer)
    const slot: Slot = { expiresAtMs: nowMs + timeoutMs, requestClass, released: false }
    slots.push(slot)
    return {
      peer,
      expiresAtMs: slot.expiresAtMs,
      release: () => {
        slot.released = true
      },
    }
  }

  /** Requests outstanding at `peer` now. */
  outstanding(peer: string): number {
    return this.#liveSlots(peer, this.#clock.nowMs()).length
  }

  #liveSlots(peer: string, nowMs: number): Slot[] {
    const live = (this.#slots.get(peer) ?? []).filter((slot) => !slot.released && slot.expiresAtMs > nowMs)
    this.#slots.set(peer, live)
    return live
  }

  #bucket(peer: string, nowMs: number): TokenBucket {
    let bucket = this.#buckets.get(peer)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#limits.burstMax, this.#limits.perSecondMax, nowMs)
      this.#buckets.set(peer, bucket)
    }
    return bucket
  }
}
