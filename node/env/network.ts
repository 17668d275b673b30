import type { PenaltyReason } from '../../p2p/index.js'

/**
 * The validator's protocols, by short name (the wire ids are in node/protocols.ts). Transactions are gossiped in
 * batches ('tx-batch'); single-transaction 'tx' frames are still accepted from peers that send them.
 */
export type ProtocolName = 'consensus' | 'tx' | 'tx-batch' | 'sync' | 'evidence'

export const protocolNames: readonly ProtocolName[] = ['consensus', 'tx', 'tx-batch', 'sync', 'evidence']

/**
 * The per-peer framed network as a validator sees it. Peers are validators' node keys (lowercase hex).
 * Production binds it to the libp2p host (p2p/); the simulator binds its simulated network. Frames come in
 * through `Validator.onFrame(protocol, peer, frame)`.
 */
export interface PeerNetwork {
  /** Node keys (hex) of the peers connected now (banned and partitioned peers are not). */
  connectedPeers(): readonly string[]
  /** Queues a frame for one peer; false when it was dropped (not connected, queue full, closing). */
  send(peer: string, protocol: ProtocolName, frame: Uint8Array): boolean
  /** Queues a frame for every connected peer. */
  broadcast(protocol: ProtocolName, frame: Uint8Array): void
  /** Lowers a peer's score for invalid input; enough of it bans the peer for a while (p2p/peer-scores.ts). */
  penalize(peer: string, reason: PenaltyReason): void
}
