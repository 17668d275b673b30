import type { PeerNetwork, ProtocolName } from '../../node/env/network.js'
import { protocolLimits } from '../../node/protocols.js'
import { sendQueueLengthMaxDefault } from '../../p2p/constants.js'
import type { PenaltyReason } from '../../p2p/index.js'

/** What one simulated process's network needs from the cluster. */
export interface SimWire {
  /** Node keys (hex) of the validators this process is connected to now. */
  connectedPeers(fromId: number): string[]
  /**
   * Puts a frame on the wire to every process holding `peer`'s key (twins share one); false when it cannot
   * leave (not connected, or the receiver's queue from us is full because it reads nothing).
   */
  transmit(fromId: number, peer: string, protocol: ProtocolName, frame: Uint8Array): boolean
  penalize(fromId: number, peer: string, reason: PenaltyReason): void
}

/**
 * The PeerNetwork of one life of a simulated validator process. A process that crashed sends nothing more;
 * frames above a protocol's maximum are refused as the p2p host refuses them.
 */
export class SimPeerNetwork implements PeerNetwork {
  constructor(
    private readonly wire: SimWire,
    private readonly id: number,
    private readonly alive: () => boolean,
  ) {}

  connectedPeers(): readonly string[] {
    return this.alive() ? this.wire.connectedPeers(this.id) : []
  }

  send(peer: string, protocol: ProtocolName, frame: Uint8Array): boolean {
    if (!this.alive() || frame.byteLength > protocolLimits[protocol].frameBytesMax) return false
    return this.wire.transmit(this.id, peer, protocol, frame)
  }

  broadcast(protocol: ProtocolName, frame: Uint8Array): void {
    for (const peer of this.connectedPeers()) this.send(peer, protocol, frame)
  }

  penalize(peer: string, reason: PenaltyReason): void {
    if (this.alive()) this.wire.penalize(this.id, peer, reason)
  }
}

/** Frames a sender may queue towards a peer that reads nothing before its sends fail (the p2p default). */
export const stalledQueueLengthMax = sendQueueLengthMaxDefault
