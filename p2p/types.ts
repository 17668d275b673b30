// The p2p layer's public data shapes: bytes, peers and protocol ids, nothing about consensus.

export interface PeerEntry {
  /** 32-byte Ed25519 public key: the peer's libp2p identity. */
  nodeKey: Uint8Array
  /** Multiaddrs without `/p2p`, e.g. `/ip4/127.0.0.1/tcp/26600`. Empty: the peer dials in, we never dial it. */
  addresses: string[]
}

export interface ProtocolSpec {
  /** e.g. `/quorate/consensus/1.0.0` */
  id: string
  /** Largest frame body accepted or sent on this protocol, checked before a body is read. */
  frameBytesMax: number
}

export type PeerEventKind =
  | 'connected'
  | 'disconnected'
  | 'rejected'
  | 'frame-too-large'
  | 'queue-full'
  | 'stream-error'

export interface PeerEvent {
  kind: PeerEventKind
  nodeKeyHex?: string
  protocolId?: string
  detail?: string
}

export interface P2PHostOptions {
  /** 32-byte Ed25519 seed: the libp2p identity of this node. */
  nodeSecretKey: Uint8Array
  /** e.g. `['/ip4/127.0.0.1/tcp/26600']`; port 0 picks a free port (see `P2PHost.listenAddresses()`). */
  listenAddresses: string[]
  /** The permissioned set: only these peers may connect, either way. Our own key may be listed. */
  peers: PeerEntry[]
  protocols: ProtocolSpec[]
  /**
   * Called for every received frame, in arrival order per (peer, protocol). `fromNodeKeyHex` is lowercase hex;
   * the frame is a fresh copy the callee may keep.
   */
  onFrame: (protocolId: string, fromNodeKeyHex: string, frame: Uint8Array) => void
  /** For metrics and logs. */
  onPeerEvent?: (event: PeerEvent) => void
  reconnectDelayBaseMs?: number
  reconnectDelayMaxMs?: number
  /** Frames queued per (peer, protocol); default 1024. Beyond it new frames are dropped ('queue-full'). */
  sendQueueLengthMax?: number
  /** Bytes queued per (peer, protocol); default 64 MiB. Beyond it new frames are dropped ('queue-full'). */
  sendQueueBytesMax?: number
  /** Aborting it closes the host. */
  signal?: AbortSignal
}
