export { type Clock, systemClock, type Timer } from './clock.js'
export { peerPolicyDefault, penaltyWeightsDefault } from './constants.js'
export {
  FramePrefixInvalidError,
  FrameTooLargeError,
  FrameTruncatedError,
  HostClosedError,
  P2PConfigError,
  PeerRefusedError,
} from './errors.js'
export { P2PHost } from './host.js'
export {
  type KeepAwayReason,
  PeerGuard,
  type PeerGuardOptions,
  type PeerPolicy,
} from './peer-guard.js'
export { nodeKeyToHex, peerIdFromNodeKey } from './peer-identity.js'
export type {
  P2PHostOptions,
  PeerEntry,
  PeerEvent,
  PeerEventKind,
  PeerScore,
  PenaltyReason,
  ProtocolSpec,
} from './types.js'
