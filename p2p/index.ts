export {
  FramePrefixInvalidError,
  FrameTooLargeError,
  FrameTruncatedError,
  HostClosedError,
  P2PConfigError,
} from './errors.js'
export { P2PHost } from './host.js'
export { nodeKeyToHex, peerIdFromNodeKey } from './peer-identity.js'
export type { P2PHostOptions, PeerEntry, PeerEvent, PeerEventKind, ProtocolSpec } from './types.js'
