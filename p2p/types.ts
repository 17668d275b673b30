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
  /**
   * Sustained inbound frames per second accepted from one peer on this protocol; frames beyond the token
   * bucket are dropped before their body is read ('flood-dropped'). Default `framesPerSecondMaxDefault`.
   */
  framesPerSecondMax?: number
  /** The bucket's size: frames one peer may send at once above the sustained rate. Default `burstFramesMaxDefault`. */
  burstFramesMax?: number
}

/** Why a peer is penalized; each reason has a default weight (`penaltyWeightsDefault`). */
export type PenaltyReason =
  | 'invalid-frame'
  | 'bad-signature'
  | 'forged-certificate'
  | 'flood'
  | 'invalid-block'
  | 'sync-misbehaviour'

/** One peer's standing, as `P2PHost.peerScores()` reports it. */
export interface PeerScore {
  nodeKeyHex: string
  /** 0 for a peer in good standing; negative after penalties, recovering over time. */
  score: number
  /** Wall-clock time (ms since the epoch) the current ban ends; absent when not banned. */
  bannedUntilMs?: number
}

export type PeerEventKind =
  | 'connected'
  | 'disconnected'
  | 'rejected'
  | 'frame-too-large'
  | 'queue-full'
  | 'stream-error'
  /** `penalize` lowered the peer's score: `reason`, `score` after the penalty. */
  | 'penalized'
  /** The score reached the threshold: connections closed, refused both ways for `durationMs`. */
  | 'banned'
  /** The ban ended; reconnection resumes. */
  | 'unbanned'
  /** `count` inbound frames on `protocolId` dropped by flood control since the last report (one per interval). */
  | 'flood-dropped'

export interface PeerEvent {
  kind: PeerEventKind
  nodeKeyHex?: string
  protocolId?: string
  detail?: string
  /** 'penalized' */
  reason?: PenaltyReason
  /** 'penalized': the score after the penalty. */
  score?: number
  /** 'banned' */
  durationMs?: number
  /** 'flood-dropped' */
  count?: number
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
  /** Score at or below which a peer is banned; negative. Default -100. */
  scoreThreshold?: number
  /** Score points a peer recovers per second, up to 0. Default 1. */
  scoreDecayPerSecond?: number
  /** First ban duration; doubles per repeat offence up to `banDurationMaxMs`. Default 10 s. */
  banDurationBaseMs?: number
  /** Default 10 min. */
  banDurationMaxMs?: number
  /** Overrides of `penaltyWeightsDefault`, by reason. */
  penaltyWeights?: Partial<Record<PenaltyReason, number>>
  /** How often dropped inbound frames are reported and charged as 'flood', per peer. Default 1 s. */
  floodReportIntervalMs?: number
  /**
   * Testnet fault injection only (the malicious fixture "a peer that opens streams and never reads"): inbound
   * streams are accepted and counted but never read, and flow control is withheld, so each peer's stream to
   * this host stalls once its window is full and that peer's send queue backs up ('queue-full'). The host
   * still sends normally. No frame reaches `onFrame`. Default false.
   */
  stallInboundStreams?: boolean
  /** Aborting it closes the host. */
  signal?: AbortSignal
}
