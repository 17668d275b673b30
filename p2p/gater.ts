// The permissioned-set connection gater: only listed peer ids may connect, in either direction, and a listed
// peer the host currently refuses (banned, blocked, at its connection limit) may not either. Encrypted
// checkpoints see the remote's authenticated peer id (after Noise), so a stranger is refused there whatever
// address it used; dial checks stop us from even starting a dial to a stranger or a refused peer.

import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type GaterCheckpoint = 'dial' | 'inbound' | 'outbound'

/** Why a listed peer is refused right now. */
export type RefusalReason = 'banned' | 'blocked' | 'too-many-connections'

export interface PermissionedGaterOptions {
  /** Peer id strings (`12D3KooW…`) allowed to connect. */
  permittedPeerIds: ReadonlySet<string>
  /** Asked for listed peers only, at every checkpoint; a reason refuses the connection. */
  refusalReason?: (peerIdString: string, checkpoint: GaterCheckpoint) => RefusalReason | undefined
  /** `reason` is absent for a peer outside the permitted set. */
  onDenied?: (peerId: PeerId, checkpoint: GaterCheckpoint, reason?: RefusalReason) => void
}

const p2pProtocolName = 'p2p'

export function createPermissionedGater(options: PermissionedGaterOptions): ConnectionGater {
  const { permittedPeerIds, refusalReason, onDenied } = options
  const deny = (peerId: PeerId, checkpoint: GaterCheckpoint): boolean => {
    const peerIdString = peerId.toString()
    if (!permittedPeerIds.has(peerIdString)) {
      onDenied?.(peerId, checkpoint)
      return true
    }
    const reason = refusalReason?.(peerIdString, checkpoint)
    if (reason === undefined) {
      return false
    }
    onDenied?.(peerId, checkpoint, reason)
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
