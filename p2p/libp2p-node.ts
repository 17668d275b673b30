// The one file that configures libp2p: TCP + Noise + Yamux, a connection gater, no discovery, no services.
// Peers are dialed explicitly by the reconnector; libp2p's own keep-alive redial is not used.

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import {
  connectionCloseTimeoutMs,
  dialTimeoutMs,
  inboundConnectionsPerSecondPerHostMax,
  inboundPendingConnectionsMax,
  streamOpenTimeoutMs,
} from './constants.js'

export interface Libp2pNodeOptions {
  privateKey: PrivateKey
  listenAddresses: string[]
  connectionGater: ConnectionGater
  /** Upper bound on open connections; the permissioned set is small, so this guards against leaks only. */
  connectionsMax: number
}

/** A configured, not yet started libp2p node: register protocol handlers, then `start()`. */
export async function createLibp2pNode(options: Libp2pNodeOptions): Promise<Libp2p> {
  return createLibp2p({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: options.listenAddresses },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: options.connectionGater,
    connectionManager: {
      maxConnections: options.connectionsMax,
      dialTimeout: dialTimeoutMs,
      addressDialTimeout: dialTimeoutMs,
      connectionCloseTimeout: connectionCloseTimeoutMs,
      inboundUpgradeTimeout: dialTimeoutMs,
      outboundStreamProtocolNegotiationTimeout: streamOpenTimeoutMs,
      inboundStreamProtocolNegotiationTimeout: streamOpenTimeoutMs,
      inboundConnectionThreshold: inboundConnectionsPerSecondPerHostMax,
      maxIncomingPendingConnections: inboundPendingConnectionsMax,
      // We redial permissioned peers ourselves, with our own backoff.
      reconnectRetries: 0,
    },
  })
}
