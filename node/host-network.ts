import type { P2PHost, ProtocolSpec } from '../p2p/index.js'
import type { PeerNetwork, ProtocolName } from './env/network.js'
import { protocolNames } from './env/network.js'
import { protocolIds, protocolLimits } from './protocols.js'

/** The validator's protocols as the p2p host is configured with them. */
export function hostProtocols(): ProtocolSpec[] {
  return protocolNames.map((name) => ({ id: protocolIds[name], ...protocolLimits[name] }))
}

const namesById: ReadonlyMap<string, ProtocolName> = new Map(
  protocolNames.map((name) => [protocolIds[name], name]),
)

/** The protocol name of a wire id the host delivered a frame on (the host only delivers configured ones). */
export function protocolNameOf(protocolId: string): ProtocolName | undefined {
  return namesById.get(protocolId)
}

/** The validator's network over the libp2p host. */
export function hostNetwork(host: P2PHost): PeerNetwork {
  return {
    connectedPeers: () => host.connectedPeers(),
    send: (peer, protocol, frame) => host.send(peer, protocolIds[protocol], frame),
    broadcast: (protocol, frame) => host.broadcast(protocolIds[protocol], frame),
    penalize: (peer, reason) => host.penalize(peer, reason),
  }
}
