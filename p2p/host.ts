// P2PHost: a libp2p node restricted to a permissioned peer set, carrying length-prefixed frames on a fixed
// list of protocols. It moves bytes between peers and never interprets them. Whatever a peer sends, the host
// reports through `onPeerEvent` and keeps running; it throws only for its caller's own mistakes.
//
// Defences against listed peers that misbehave: per-peer connection and inbound-stream limits, frame sizes
// checked before allocation, a token bucket per (peer, protocol) checked before a frame's body is read, and a
// score that the node lowers (`penalize`) for invalid input; at the threshold the peer is disconnected and
// refused both ways for a ban that doubles per repeat offence, then redialed. That policy (scores, bans, flood
// gates, blocked peers) lives in PeerGuard (peer-guard.ts), apart from libp2p; the host asks it and acts.

import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { systemClock } from './clock.js'
import {
  connectionsPerPeerMax,
  inboundStreamsPerPeerPerProtocolMax,
  inboundStreamsPerProtocolMax,
  outboundStreamsPerProtocolMax,
  sendStallTimeoutMs,
} from './constants.js'
import { describeError, HostClosedError, P2PConfigError, PeerRefusedError } from './errors.js'
import { encodeFrame } from './frame-codec.js'
import { createPermissionedGater, type GaterCheckpoint, type RefusalReason } from './gater.js'
import {
  type PermittedPeer,
  type ResolvedHostConfig,
  type ResolvedProtocolSpec,
  resolveHostConfig,
} from './host-config.js'
import { readInboundStream } from './inbound-reader.js'
import { createLibp2pNode } from './libp2p-node.js'
import { OutboundChannel } from './outbound-channel.js'
import { type KeepAwayReason, PeerGuard } from './peer-guard.js'
import { nodeKeyHexFromPeerId, nodeKeyToHex, privateKeyFromNodeSecretKey } from './peer-identity.js'
import { Reconnector } from './reconnector.js'
import type { P2PHostOptions, PeerEvent, PeerScore, PenaltyReason } from './types.js'

const p2pProtocolCode = 421

const authenticationErrorNames = new Set([
  'EncryptionFailedError',
  'UnexpectedPeerError',
  'InvalidPeerIdError',
])

/** Delivers events to the optional listener; a listener's throw must not break the host. */
function createEventEmitter(onPeerEvent: P2PHostOptions['onPeerEvent']): (event: PeerEvent) => void {
  return (event) => {
    try {
      onPeerEvent?.(event)
    } catch {
      // Metrics and logging hooks are best effort.
    }
  }
}

export class P2PHost {
  readonly nodeKeyHex: string
  readonly peerId: string

  private readonly config: ResolvedHostConfig
  private readonly libp2p: Libp2p
  private readonly onFrame: P2PHostOptions['onFrame']
  private readonly emit: (event: PeerEvent) => void
  private readonly peersByNodeKeyHex = new Map<string, PermittedPeer>()
  private readonly connectedNodeKeyHexes = new Set<string>()
  /** nodeKeyHex → protocol id → channel; only for connected peers. */
  private readonly channels = new Map<string, Map<string, OutboundChannel>>()
  private readonly reconnector: Reconnector<PermittedPeer>
  /** Scores, bans, flood gates and blocked peers. */
  private readonly guard: PeerGuard
  /** `${nodeKeyHex} ${protocolId}` → inbound streams open; bounded by peers × protocols. */
  private readonly inboundStreamCounts = new Map<string, number>()
  private readonly signal: AbortSignal | undefined
  private closePromise: Promise<void> | undefined

  private constructor(
    nodeKeyHex: string,
    config: ResolvedHostConfig,
    libp2p: Libp2p,
    options: P2PHostOptions,
    emit: (event: PeerEvent) => void,
  ) {
    this.nodeKeyHex = nodeKeyHex
    this.peerId = libp2p.peerId.toString()
    this.config = config
    this.libp2p = libp2p
    this.onFrame = options.onFrame
    // Once closing starts, the caller has stopped listening: teardown noise is not reported.
    this.emit = (event) => {
      if (!this.closing) {
        emit(event)
      }
    }
    this.signal = options.signal
    for (const peer of config.peersByPeerId.values()) {
      this.peersByNodeKeyHex.set(peer.nodeKeyHex, peer)
    }
    this.reconnector = new Reconnector<PermittedPeer>({
      peers: [...config.peersByPeerId.values()].filter((peer) => peer.dialAddresses.length > 0),
      peerKey: (peer) => peer.peerIdString,
      isConnected: (peer) => this.openConnection(peer.peerId) !== undefined,
      dial: async (peer, signal) => {
        await this.libp2p.dial([...peer.dialAddresses], { signal })
      },
      onDialError: (peer, err) => this.onDialError(peer, err),
      backoff: {
        baseMs: config.reconnectDelayBaseMs,
        maxMs: config.reconnectDelayMaxMs,
        random: Math.random,
      },
    })
    this.guard = new PeerGuard({
      peers: this.peersByNodeKeyHex.keys(),
      protocols: config.protocols,
      policy: config,
      clock: systemClock(),
      onEvent: this.emit,
      onKeepAway: (nodeKeyHex, why) => this.keepAway(nodeKeyHex, why),
      onLetBack: (nodeKeyHex) => this.letBack(nodeKeyHex),
    })
  }

  /** Starts listening and dialing every listed peer. */
  static async create(options: P2PHostOptions): Promise<P2PHost> {
    options.signal?.throwIfAborted()
    const privateKey = await privateKeyFromNodeSecretKey(options.nodeSecretKey)
    const nodeKeyHex = nodeKeyToHex(privateKey.publicKey.raw)
    const config = resolveHostConfig(options, nodeKeyHex)
    const emit = createEventEmitter(options.onPeerEvent)

    let host: P2PHost | undefined
    const connectionGater = createPermissionedGater({
      permittedPeerIds: new Set(config.peersByPeerId.keys()),
      refusalReason: (peerIdString, checkpoint) => host?.refusalReason(peerIdString, checkpoint),
      onDenied: (peerId, checkpoint, reason) => host?.onDenied(peerId, checkpoint, reason),
    })
    const libp2p = await createLibp2pNode({
      privateKey,
      listenAddresses: [...config.listenAddresses],
      connectionGater,
      connectionsMax: Math.max(16, (config.peersByPeerId.size + 1) * connectionsPerPeerMax),
    })
    host = new P2PHost(nodeKeyHex, config, libp2p, options, emit)
    try {
      await host.start()
    } catch (err) {
      await host.close()
      throw err
    }
    return host
  }

  private async start(): Promise<void> {
    for (const spec of this.config.protocols.values()) {
      await this.libp2p.handle(
        spec.id,
        (stream, connection) => this.onInboundStream(spec, stream, connection),
        {
          maxInboundStreams: inboundStreamsPerProtocolMax,
          maxOutboundStreams: outboundStreamsPerProtocolMax,
        },
      )
    }
    this.libp2p.addEventListener('peer:connect', (event) => this.onPeerConnect(event.detail))
    this.libp2p.addEventListener('peer:disconnect', (event) => this.onPeerDisconnect(event.detail))
    await this.libp2p.start()
    this.signal?.addEventListener('abort', this.onAbort, { once: true })
    if (this.signal?.aborted === true) {
      throw new HostClosedError('aborted while starting')
    }
    this.reconnector.start()
  }

  private readonly onAbort = (): void => {
    void this.close()
  }

  private get closing(): boolean {
    return this.closePromise !== undefined
  }

  /** The bound listen addresses (port 0 resolved), without `/p2p`, ready for another host's `PeerEntry`. */
  listenAddresses(): string[] {
    const addresses = this.libp2p
      .getMultiaddrs()
      .map((address) => address.decapsulateCode(p2pProtocolCode).toString())
    return [...new Set(addresses)]
  }

  /** Node keys (hex) of the peers with an open connection. */
  connectedPeers(): string[] {
    return [...this.connectedNodeKeyHexes]
  }

  /**
   * Queues a frame on that peer's stream for the protocol. False, and the frame dropped, when the peer is not
   * connected (or banned), blocked (`setBlockedPeers`), the queue is full ('queue-full'), the frame exceeds the
   * protocol's maximum ('frame-too-large') or the host is closing.
   */
  send(nodeKeyHex: string, protocolId: string, frame: Uint8Array): boolean {
    const spec = this.protocolSpec(protocolId)
    if (this.closing || !this.connectedNodeKeyHexes.has(nodeKeyHex) || this.guard.isBlocked(nodeKeyHex)) {
      return false
    }
    if (frame.byteLength > spec.frameBytesMax) {
      this.emit({
        kind: 'frame-too-large',
        nodeKeyHex,
        protocolId,
        detail: `outbound frame of ${frame.byteLength} bytes exceeds ${spec.frameBytesMax}`,
      })
      return false
    }
    return this.channel(nodeKeyHex, protocolId)?.enqueue(encodeFrame(frame)) ?? false
  }

  /** Queues a frame for every connected peer (except blocked ones). */
  broadcast(protocolId: string, frame: Uint8Array): void {
    const spec = this.protocolSpec(protocolId)
    if (this.closing) {
      return
    }
    if (frame.byteLength > spec.frameBytesMax) {
      this.emit({
        kind: 'frame-too-large',
        protocolId,
        detail: `outbound frame of ${frame.byteLength} bytes exceeds ${spec.frameBytesMax}`,
      })
      return
    }
    // Encode once; the channels only read the buffer.
    const encodedFrame = encodeFrame(frame)
    for (const nodeKeyHex of this.connectedNodeKeyHexes) {
      if (!this.guard.isBlocked(nodeKeyHex)) {
        this.channel(nodeKeyHex, protocolId)?.enqueue(encodedFrame)
      }
    }
  }

  /**
   * Lowers a listed peer's score by `weight` (default: the reason's weight, see `penaltyWeightsDefault`) and
   * reports 'penalized'. At or below the score threshold the peer is banned: 'banned', all its connections
   * closed, refused both ways and not dialed until the ban ends ('unbanned'), then redialed. Penalties of a
   * banned peer (its frames still in the caller's pipeline) change nothing. Unknown peers are ignored.
   */
  penalize(nodeKeyHex: string, reason: PenaltyReason, weight?: number): void {
    this.guard.penalize(nodeKeyHex, reason, weight)
  }

  /** Every listed peer's current score, and when its ban ends if it is banned. */
  peerScores(): PeerScore[] {
    return this.guard.peerScores()
  }

  /**
   * Testnet fault injection (partitions): replaces the set of blocked peers. Frames to them are not sent
   * (`send` returns false) and frames from them are dropped unread. With `disconnect`, they are also
   * disconnected and refused both ways, like banned peers, until unblocked. Unblocking restores traffic
   * (and, after `disconnect`, redials).
   */
  setBlockedPeers(nodeKeyHexes: readonly string[], options: { disconnect?: boolean } = {}): void {
    this.guard.setBlockedPeers(nodeKeyHexes, options)
  }

  /** Stops dialing, drops queued frames, closes streams, connections and listeners. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= this.closeResources()
    return this.closePromise
  }

  private async closeResources(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort)
    this.reconnector.close()
    this.guard.close()
    for (const nodeKeyHex of this.channels.keys()) {
      this.closeChannels(nodeKeyHex)
    }
    this.connectedNodeKeyHexes.clear()
    // Queued frames are already dropped, so nothing is lost by aborting: libp2p's graceful close of a connection
    // whose stream the peer reset can wait forever (seen in test/p2p/host-flood.test.ts's flooder under load),
    // and a stop that never settles is a validator that never exits on SIGTERM.
    for (const connection of this.libp2p.getConnections())
      connection.abort(new HostClosedError('host closing'))
    await this.libp2p.stop()
  }

  private protocolSpec(protocolId: string): ResolvedProtocolSpec {
    const spec = this.config.protocols.get(protocolId)
    if (spec === undefined) {
      throw new P2PConfigError(`protocol ${protocolId} is not configured on this host`)
    }
    return spec
  }

  private openConnection(peerId: PeerId): Connection | undefined {
    return this.libp2p.getConnections(peerId).find((connection) => connection.status === 'open')
  }

  private channel(nodeKeyHex: string, protocolId: string): OutboundChannel | undefined {
    const peer = this.peersByNodeKeyHex.get(nodeKeyHex)
    if (peer === undefined) {
      return undefined
    }
    let byProtocol = this.channels.get(nodeKeyHex)
    if (byProtocol === undefined) {
      byProtocol = new Map()
      this.channels.set(nodeKeyHex, byProtocol)
    }
    let channel = byProtocol.get(protocolId)
    if (channel === undefined) {
      channel = new OutboundChannel({
        openStream: async (signal) => {
          const connection = this.openConnection(peer.peerId)
          if (connection === undefined) {
            throw new HostClosedError(`no open connection to ${peer.peerIdString}`)
          }
          return connection.newStream(protocolId, { signal })
        },
        queueLengthMax: this.config.sendQueueLengthMax,
        queueBytesMax: this.config.sendQueueBytesMax,
        sendStallTimeoutMs,
        onQueueFull: (detail) => this.emit({ kind: 'queue-full', nodeKeyHex, protocolId, detail }),
        onStreamError: (detail) => this.emit({ kind: 'stream-error', nodeKeyHex, protocolId, detail }),
      })
      byProtocol.set(protocolId, channel)
    }
    return channel
  }

  private closeChannels(nodeKeyHex: string): void {
    const byProtocol = this.channels.get(nodeKeyHex)
    this.channels.delete(nodeKeyHex)
    for (const channel of byProtocol?.values() ?? []) {
      channel.close()
    }
  }

  /** The gater asks this for every listed peer at every checkpoint. */
  private refusalReason(peerIdString: string, checkpoint: GaterCheckpoint): RefusalReason | undefined {
    const peer = this.config.peersByPeerId.get(peerIdString)
    if (peer === undefined) {
      return undefined
    }
    const keepAwayReason = this.guard.keepAwayReason(peer.nodeKeyHex)
    if (keepAwayReason !== undefined) {
      return keepAwayReason
    }
    // At the encrypted checkpoints the new connection is not counted yet.
    if (checkpoint !== 'dial' && this.libp2p.getConnections(peer.peerId).length >= connectionsPerPeerMax) {
      return 'too-many-connections'
    }
    return undefined
  }

  /** The guard banned or blocked the peer: no dialing, no connection. */
  private keepAway(nodeKeyHex: string, why: KeepAwayReason): void {
    const peer = this.peersByNodeKeyHex.get(nodeKeyHex)
    if (peer === undefined) {
      return
    }
    this.reconnector.hold(peer.peerIdString)
    this.disconnect(peer, why)
  }

  /** The ban or the block ended: dial the peer again. */
  private letBack(nodeKeyHex: string): void {
    const peer = this.peersByNodeKeyHex.get(nodeKeyHex)
    if (peer !== undefined) {
      this.reconnector.release(peer.peerIdString)
    }
  }

  /** Drops the peer's queues and aborts all its connections; reports 'disconnected' at once. */
  private disconnect(peer: PermittedPeer, why: RefusalReason): void {
    this.closeChannels(peer.nodeKeyHex)
    if (this.connectedNodeKeyHexes.delete(peer.nodeKeyHex)) {
      this.emit({ kind: 'disconnected', nodeKeyHex: peer.nodeKeyHex, detail: why })
    }
    for (const connection of this.libp2p.getConnections(peer.peerId)) {
      connection.abort(new PeerRefusedError(`peer ${peer.peerIdString} is ${why}`))
    }
  }

  private onPeerConnect(peerId: PeerId): void {
    const peer = this.config.peersByPeerId.get(peerId.toString())
    if (this.closing || peer === undefined) {
      return
    }
    // A connection that passed the gater just before a ban started.
    const keepAwayReason = this.guard.keepAwayReason(peer.nodeKeyHex)
    if (keepAwayReason !== undefined) {
      this.disconnect(peer, keepAwayReason)
      return
    }
    this.reconnector.onConnected(peer.peerIdString)
    if (!this.connectedNodeKeyHexes.has(peer.nodeKeyHex)) {
      this.connectedNodeKeyHexes.add(peer.nodeKeyHex)
      this.emit({ kind: 'connected', nodeKeyHex: peer.nodeKeyHex })
    }
  }

  private onPeerDisconnect(peerId: PeerId): void {
    const peer = this.config.peersByPeerId.get(peerId.toString())
    if (this.closing || peer === undefined) {
      return
    }
    this.closeChannels(peer.nodeKeyHex)
    if (this.connectedNodeKeyHexes.delete(peer.nodeKeyHex)) {
      this.emit({ kind: 'disconnected', nodeKeyHex: peer.nodeKeyHex })
    }
    this.reconnector.onDisconnected(peer.peerIdString)
  }

  private onDenied(peerId: PeerId, checkpoint: GaterCheckpoint, reason?: RefusalReason): void {
    if (this.closing) {
      return
    }
    const nodeKeyHex = nodeKeyHexFromPeerId(peerId)
    const why =
      reason === undefined
        ? 'is not in the permitted set'
        : reason === 'too-many-connections'
          ? `has ${connectionsPerPeerMax} connections already`
          : `is ${reason}`
    this.emit({
      kind: 'rejected',
      ...(nodeKeyHex === undefined ? {} : { nodeKeyHex }),
      detail: `${checkpoint}: peer ${peerId.toString()} ${why}`,
    })
  }

  private onDialError(peer: PermittedPeer, err: unknown): void {
    // A failed handshake (typically another identity answering at a listed address) is a refusal; other
    // failures (peer down, timeouts) are routine and retried quietly. libp2p's upgrader rethrows every
    // handshake error, Noise's UnexpectedPeerError included, as EncryptionFailedError with only the message.
    if (err instanceof Error && authenticationErrorNames.has(err.name)) {
      this.emit({ kind: 'rejected', nodeKeyHex: peer.nodeKeyHex, detail: `dial: ${describeError(err)}` })
    }
  }

  /** Counts the stream against the peer's per-protocol limit; false (stream refused) beyond it. */
  private trackInboundStream(nodeKeyHex: string, protocolId: string, stream: Stream): boolean {
    const key = `${nodeKeyHex} ${protocolId}`
    const open = this.inboundStreamCounts.get(key) ?? 0
    if (open >= inboundStreamsPerPeerPerProtocolMax) {
      return false
    }
    this.inboundStreamCounts.set(key, open + 1)
    stream.addEventListener(
      'close',
      () => {
        const remaining = (this.inboundStreamCounts.get(key) ?? 1) - 1
        if (remaining > 0) {
          this.inboundStreamCounts.set(key, remaining)
        } else {
          this.inboundStreamCounts.delete(key)
        }
      },
      { once: true },
    )
    return true
  }

  /**
   * Testnet fault injection: holds the stream open and never reads it. Pausing withholds yamux window updates,
   * so the peer can send one window (256 KiB) and then stalls; what arrived waits in this stream's buffer,
   * which the window bounds. The peer's reset (its stall timeout) or the connection's end closes the stream.
   */
  private stallInboundStream(stream: Stream): void {
    try {
      stream.pause()
    } catch (err) {
      // The stream is closing already.
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private onInboundStream(spec: ResolvedProtocolSpec, stream: Stream, connection: Connection): void {
    const peer = this.config.peersByPeerId.get(connection.remotePeer.toString())
    if (this.closing || peer === undefined) {
      // The gater admits only listed peers; this guards the invariant rather than trusting it.
      stream.abort(new HostClosedError('stream refused'))
      if (!this.closing) {
        this.onDenied(connection.remotePeer, 'inbound')
      }
      return
    }
    const { nodeKeyHex } = peer
    if (this.guard.isKeptAway(nodeKeyHex)) {
      // A connection of a peer banned a moment ago, still closing.
      stream.abort(new PeerRefusedError('stream refused: peer banned or blocked'))
      return
    }
    if (!this.trackInboundStream(nodeKeyHex, spec.id, stream)) {
      stream.abort(new PeerRefusedError('too many inbound streams'))
      this.emit({
        kind: 'rejected',
        nodeKeyHex,
        protocolId: spec.id,
        detail: `stream: peer has ${inboundStreamsPerPeerPerProtocolMax} inbound streams open on ${spec.id}`,
      })
      return
    }
    if (this.config.stallInboundStreams) {
      this.stallInboundStream(stream)
      return
    }
    readInboundStream(stream, {
      frameBytesMax: spec.frameBytesMax,
      // From the length prefix alone, once per frame; `receivedAtMs` is performance.now() per chunk.
      admitFrame: (_frameBytes, receivedAtMs) =>
        !this.closing && this.guard.admitFrame(nodeKeyHex, spec.id, receivedAtMs),
      onFrame: (frame) => {
        if (!this.closing) {
          this.onFrame(spec.id, nodeKeyHex, frame)
        }
      },
      onFrameTooLarge: (detail) =>
        this.emit({ kind: 'frame-too-large', nodeKeyHex, protocolId: spec.id, detail }),
      onStreamError: (detail) => this.emit({ kind: 'stream-error', nodeKeyHex, protocolId: spec.id, detail }),
    })
  }
}
