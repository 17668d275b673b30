// Inbound flood control: one token bucket per (peer, protocol), asked once a frame's length prefix is read,
// before its body is allocated. A frame without a token is dropped on the spot: nothing is queued, so memory
// does not grow with the flood. Drops are counted and reported once per interval per (peer, protocol), and a
// flooding peer is charged once per interval, so a flood of a million frames costs a few events, not a million.
//
// A reporting window opens at a peer's first drop and closes `reportIntervalMs` later: by a timer, or by the
// first drop that arrives after that time, whichever comes first. A flood busy enough to delay timers is still
// charged on time, and the report after the flood stops comes from the timer.
//
// Two clocks: `admit` takes the caller's monotonic time (one read per chunk in the host), and the report timers
// come from the injected `Clock`, so the simulator runs flood control on simulated time.

import { type Clock, systemClock, type Timer } from './clock.js'
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
  /** Report timers; default Node's (`systemClock()`). */
  clock?: Pick<Clock, 'setTimer'>
}

/** The admission check of one (peer, protocol); shared by all of that peer's streams on the protocol. */
export class FloodGate {
  readonly protocolId: string
  /** Drops in the peer's open reporting window. */
  droppedCount = 0
  private readonly bucket: TokenBucket
  private readonly onDrop: (nowMs: number) => void

  constructor(protocolId: string, bucket: TokenBucket, onDrop: (nowMs: number) => void) {
    this.protocolId = protocolId
    this.bucket = bucket
    this.onDrop = onDrop
  }

  /** True to accept one frame; false drops it and counts the drop. `nowMs`: monotonic milliseconds. */
  admit(nowMs: number): boolean {
    if (this.bucket.tryTake(nowMs)) {
      return true
    }
    this.onDrop(nowMs)
    this.droppedCount++
    return false
  }
}

interface PeerFloodState {
  readonly gates: Map<string, FloodGate>
  /** When the open window started (the clock of `admit`); undefined when no window is open. */
  windowStartMs: number | undefined
  reportTimer: Timer | undefined
}

export class FloodControl {
  private readonly options: FloodControlOptions
  private readonly clock: Pick<Clock, 'setTimer'>
  /** One entry per peer asked about: the host asks only about authenticated, listed peers. */
  private readonly peers = new Map<string, PeerFloodState>()
  private closed = false

  constructor(options: FloodControlOptions) {
    this.options = options
    this.clock = options.clock ?? systemClock()
  }

  /** The gate for a (peer, protocol); the same one for every stream, so new streams get no fresh burst. */
  gate(peerKey: string, protocolId: string, rates: FloodRates, nowMs: number): FloodGate {
    let state = this.peers.get(peerKey)
    if (state === undefined) {
      state = { gates: new Map(), windowStartMs: undefined, reportTimer: undefined }
      this.peers.set(peerKey, state)
    }
    const existing = state.gates.get(protocolId)
    if (existing !== undefined) {
      return existing
    }
    const peerState = state
    const gate = new FloodGate(
      protocolId,
      new TokenBucket(rates.burstFramesMax, rates.framesPerSecondMax, nowMs),
      (dropNowMs) => this.onDrop(peerKey, peerState, dropNowMs),
    )
    state.gates.set(protocolId, gate)
    return gate
  }

  /** Stops every report timer; pending counts are discarded. */
  close(): void {
    this.closed = true
    for (const state of this.peers.values()) {
      state.reportTimer?.cancel()
      state.reportTimer = undefined
    }
  }

  /** Called before the gate counts the drop, so a window closed here does not include it. */
  private onDrop(peerKey: string, state: PeerFloodState, nowMs: number): void {
    if (this.closed) {
      return
    }
    if (state.windowStartMs !== undefined && nowMs - state.windowStartMs >= this.options.reportIntervalMs) {
      this.report(peerKey, state)
    }
    if (state.windowStartMs === undefined) {
      state.windowStartMs = nowMs
      state.reportTimer = this.clock.setTimer(this.options.reportIntervalMs, () =>
        this.report(peerKey, state),
      )
    }
  }

  /** Closes the peer's window: one `onDropped` per protocol with drops, then one `onFlood`. */
  private report(peerKey: string, state: PeerFloodState): void {
    state.reportTimer?.cancel()
    state.reportTimer = undefined
    state.windowStartMs = undefined
    if (this.closed) {
      return
    }
    for (const gate of state.gates.values()) {
      const count = gate.droppedCount
      gate.droppedCount = 0
      if (count > 0) {
        this.options.onDropped(peerKey, gate.protocolId, count)
      }
    }
    this.options.onFlood(peerKey)
  }
}
