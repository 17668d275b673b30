// Keeps dialing every listed peer that is not connected. One timer and at most one dial in flight per peer;
// failures back off exponentially, and a connection that stays up resets the backoff. A connection that drops
// quickly counts as a failure: a peer whose gater refuses us completes the dial on our side and then closes,
// and must not be redialed at the base rate forever. `close()` clears every timer and aborts dials in flight,
// so nothing keeps the process alive afterwards. A held peer (banned, blocked) is not dialed at all until it is
// released; then it is dialed again after the base delay.

import { type BackoffOptions, reconnectDelayMs } from './backoff.js'
import { connectionStableMs, dialTimeoutMs } from './constants.js'
import { deadline } from './deadline.js'

export interface ReconnectorOptions<Peer> {
  /** Peers to keep connected; each is dialed only through `dial`. */
  peers: readonly Peer[]
  peerKey: (peer: Peer) => string
  isConnected: (peer: Peer) => boolean
  /** Resolves once a connection is open; rejects on failure. */
  dial: (peer: Peer, signal: AbortSignal) => Promise<void>
  onDialError?: (peer: Peer, err: unknown) => void
  backoff: BackoffOptions
  /** Milliseconds clock, injected for tests. */
  nowMs?: () => number
}

interface PeerDialState<Peer> {
  readonly peer: Peer
  failedAttempts: number
  connectedAtMs: number | undefined
  timer: ReturnType<typeof setTimeout> | undefined
  dialing: boolean
  held: boolean
}

export class Reconnector<Peer> {
  private readonly options: ReconnectorOptions<Peer>
  private readonly states = new Map<string, PeerDialState<Peer>>()
  private readonly abortController = new AbortController()
  private readonly nowMs: () => number

  constructor(options: ReconnectorOptions<Peer>) {
    this.options = options
    this.nowMs = options.nowMs ?? Date.now
    for (const peer of options.peers) {
      this.states.set(options.peerKey(peer), {
        peer,
        failedAttempts: 0,
        connectedAtMs: undefined,
        timer: undefined,
        dialing: false,
        held: false,
      })
    }
  }

  private get closed(): boolean {
    return this.abortController.signal.aborted
  }

  /** Dials every peer now. */
  start(): void {
    for (const state of this.states.values()) {
      void this.dial(state)
    }
  }

  /** A peer connected (either direction): cancel any pending retry. */
  onConnected(peerKey: string): void {
    const state = this.states.get(peerKey)
    if (state === undefined) {
      return
    }
    state.connectedAtMs = this.nowMs()
    this.clearTimer(state)
  }

  /** A peer's last connection closed: redial it after a jittered delay that depends on how long it lasted. */
  onDisconnected(peerKey: string): void {
    const state = this.states.get(peerKey)
    if (state === undefined) {
      return
    }
    const connectedForMs = state.connectedAtMs === undefined ? 0 : this.nowMs() - state.connectedAtMs
    state.connectedAtMs = undefined
    if (connectedForMs >= connectionStableMs) {
      state.failedAttempts = 0
    } else {
      state.failedAttempts++
    }
    this.schedule(state)
  }

  /** Stops dialing the peer until `release`. A dial already in flight is left to the gater to refuse. */
  hold(peerKey: string): void {
    const state = this.states.get(peerKey)
    if (state === undefined) {
      return
    }
    state.held = true
    this.clearTimer(state)
  }

  /** Resumes dialing a held peer: the first attempt after the base delay, then the usual backoff. */
  release(peerKey: string): void {
    const state = this.states.get(peerKey)
    if (state === undefined || !state.held) {
      return
    }
    state.held = false
    state.failedAttempts = 0
    if (!this.options.isConnected(state.peer)) {
      this.schedule(state)
    }
  }

  close(): void {
    this.abortController.abort()
    for (const state of this.states.values()) {
      this.clearTimer(state)
    }
  }

  private clearTimer(state: PeerDialState<Peer>): void {
    if (state.timer !== undefined) {
      clearTimeout(state.timer)
      state.timer = undefined
    }
  }

  private schedule(state: PeerDialState<Peer>): void {
    if (this.closed || state.held || state.timer !== undefined || state.dialing) {
      return
    }
    // The first retry (after a drop or one failure) waits the base delay; each further failure doubles it.
    const delayMs = reconnectDelayMs(Math.max(0, state.failedAttempts - 1), this.options.backoff)
    state.timer = setTimeout(() => {
      state.timer = undefined
      void this.dial(state)
    }, delayMs)
  }

  private async dial(state: PeerDialState<Peer>): Promise<void> {
    if (this.closed || state.held || state.dialing || this.options.isConnected(state.peer)) {
      return
    }
    state.dialing = true
    this.clearTimer(state)
    let failed = false
    const dialDeadline = deadline(this.abortController.signal, dialTimeoutMs, 'dial')
    try {
      await this.options.dial(state.peer, dialDeadline.signal)
    } catch (err) {
      failed = true
      state.failedAttempts++
      if (!this.closed) {
        this.options.onDialError?.(state.peer, err)
      }
    } finally {
      dialDeadline.clear()
      state.dialing = false
    }
    // A connection may have opened and closed again while the dial was in flight; keep trying until connected.
    if (failed || !this.options.isConnected(state.peer)) {
      this.schedule(state)
    }
  }
}
