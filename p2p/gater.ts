// The permissioned-set connection gater: only listed peer ids may connect, in either direction. Encrypted
// checkpoints see the remote's authenticated peer id (after Noise), so a stranger is refused there whatever
// address it used; dial checks stop us from even starting a dial to a stranger.

import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type GaterCheckpoint = 'dial' | 'inbound' | 'outbound'

export interface PermissionedGaterOptions {
  /** Peer id strings (`12D3KooW…`) allowed to connect. */
  permittedPeerIds: ReadonlySet<string>
  onDenied?: (peerId: PeerId, checkpoint: GaterCheckpoint) => void
}

const p2pProtocolName = 'p2p'

export function createPermissionedGater(options: PermissionedGaterOptions): ConnectionGater {
  const { permittedPeerIds, onDenied } = options
  const deny = (peerId: PeerId, checkpoint: GaterCheckpoint): boolean => {
    if (permittedPeerIds.has(peerId.toString())) {
      return false
    }
    onDenied?.(peerId, checkpoint)
    return true
  }
  const isStrangerAddress = (multiaddr: Multiaddr): boolean => {
    const peerIdString = multiaddr
      .getComponents()
      .find((component) => component.name === p2pProtocolName)?.value
    return peerIdString !== undefined && !permittedPeerIds.has(peerIdString)
  }
  return {
    denyDialPeer: (peerId) => deny(peerId, 'dial'),
    denyDialMultiaddr: (multiaddr) => isStrangerAddress(multiaddr),
    denyInboundEncryptedConnection: (peerId) => deny(peerId, 'inbound'),
    denyOutboundEncryptedConnection: (peerId) => deny(peerId, 'outbound'),
    // Only listed peers' addresses belong in the peer store.
    filterMultiaddrForPeer: (peerId) => permittedPeerIds.has(peerId.toString()),
  }
}
