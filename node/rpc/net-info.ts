// net_info: the peers connected now, named by the genesis (validator index and name, libp2p peer id, node key).

import { toHex } from '../../crypto/hex.js'
import type { Genesis } from '../../ledger/genesis.js'
import { peerIdFromNodeKey } from '../../p2p/index.js'

/** Peers listed at most; the p2p host admits validators only, so this is never reached in practice. */
export const netInfoPeerCountMax = 1_000

interface PeerJson {
  /** null for a peer that is not a validator of this genesis. */
  readonly validator_index: number | null
  readonly name: string | null
  readonly node_id: string | null
  readonly node_key: string
}

/** Builds, once per genesis, the function that turns connected node keys (hex) into net_info's result. */
export function netInfo(genesis: Genesis): (connected: readonly string[]) => {
  n_peers: number
  peers: PeerJson[]
} {
  const known = new Map<string, PeerJson>(
    genesis.validators.map((validator) => {
      const nodeKey = toHex(validator.nodeKey)
      return [
        nodeKey,
        {
          validator_index: validator.index,
          name: validator.name,
          node_id: peerIdFromNodeKey(validator.nodeKey),
          node_key: nodeKey,
        },
      ]
    }),
  )
  return (connected) => ({
    n_peers: connected.length,
    peers: connected
      .slice(0, netInfoPeerCountMax)
      .map(
        (nodeKey) =>
          known.get(nodeKey) ?? { validator_index: null, name: null, node_id: null, node_key: nodeKey },
      )
      .sort(
        (a, b) =>
          (a.validator_index ?? Number.MAX_SAFE_INTEGER) - (b.validator_index ?? Number.MAX_SAFE_INTEGER),
      ),
  })
}
