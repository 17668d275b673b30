// Inbound flood control: one token bucket per (peer, protocol), asked once a frame's length prefix is read,
// before its body is allocated. A frame without a token is dropped on the spot: nothing is queued, so memory
// does not grow with the flood. Drops are counted and reported once per interval per (peer, protocol), and a
// flooding peer is charged once per interval, so a flood of a million frames costs a few events, not a million.

import { TokenBucket } from './token-bucket.js'

export interface FloodRates {
  framesPerSecondMax: number
  burstFramesMax: number
}

export interface FloodControlOptions {
  reportIntervalMs: number
  /** Frames dropped on one protocol since the last report. */
  onDropped: (peerKey: string, protocolId: string, count: number) => void
  /** Once per interval in which the peer had frames dropped, after its `onDropped` reports. */
  onFlood: (peerKey: string) => void
}

/** The admission check of one (peer, protocol); shared by all of that peer's streams on the protocol. */
export interface FloodGate {
  /** True to accept one frame; false drops it and counts the drop. `nowMs`: monotonic milliseconds. */
  admit(nowMs: number): boolean
}

interface PeerFloodState {
  readonly gates: Map<string, FloodGate>
  /** Drops since the last report, by protocol; the report timer runs while any is pending. */
  readonly droppedCounts: Map<string, number>
  reportTimer: ReturnType<typeof setTimeout> | undefined
}

export class FloodControl {
  private readonly options: FloodControlOptions
  /** One entry per peer asked about: the host asks only about authenticated, listed peers. */
  private readonly peers = new Map<string, PeerFloodState>()
  private closed = false

  constructor(options: FloodControlOptions) {
    this.options = options
  }

  /** The gate for a (peer, protocol); the same one for every stream, so new streams get no fresh burst. */
  gate(peerKey: string, protocolId: string, rates: FloodRates, nowMs: number): FloodGate {
    const state = this.peerState(peerKey)
    const existing = state.gates.get(protocolId)
    if (existing !== undefined) {
      return existing
    }
    const bucket = new TokenBucket(rates.burstFramesMax, rates.framesPerSecondMax, nowMs)
    const gate: FloodGate = {
      admit: (admitNowMs) => {
        if (bucket.tryTake(admitNowMs)) {
          return true
        }
        this.countDrop(peerKey, state, protocolId)
        return false
      },
    }
    state.gates.set(protocolId, gate)
    return gate
  }

  /** Stops every report timer; pending counts are discarded. */
  close(): void {
    this.closed = true
    for (const state of this.peers.values()) {
      clearTimeout(state.reportTimer)
      state.reportTimer = undefined
      state.droppedCounts.clear()
    }
  }

  private peerState(peerKey: string): PeerFloodState {
    let state = this.peers.get(peerKey)
    if (state === undefined) {
      state = { gates: new Map(), droppedCounts: new Map(), reportTimer: undefined }
      this.peers.set(peerKey, state)
    }
    return state
  }

  private countDrop(peerKey: string, state: PeerFloodState, protocolId: string): void {
    if (this.closed) {
      return
    }
    state.droppedCounts.set(protocolId, (state.droppedCounts.get(protocolId) ?? 0) + 1)
    state.reportTimer ??= setTimeout(() => this.report(peerKey, state), this.options.reportIntervalMs)
  }

  private report(peerKey: string, state: PeerFloodState): void {
    state.reportTimer = undefined
    if (this.closed) {
      return
    }
    const counts = [...state.droppedCounts]
    state.droppedCounts.clear()
    for (const [protocolId, count] of counts) {
      this.options.onDropped(peerKey, protocolId, count)
    }
    this.options.onFlood(peerKey)
  }
}
