// Defaults and bounds for the p2p layer. Every limit is named with its unit.

import type { PeerPolicy } from './peer-guard.js'
import type { PenaltyReason } from './types.js'

/** First reconnect delay; doubles per failed attempt up to `reconnectDelayMaxMsDefault`. */
export const reconnectDelayBaseMsDefault = 250
export const reconnectDelayMaxMsDefault = 10_000
/** A connection that lasts this long resets the reconnect backoff; one that drops sooner counts as a failure. */
export const connectionStableMs = 2_000
/** Frames waiting per (peer, protocol) outbound stream; newer frames are dropped beyond it. */
export const sendQueueLengthMaxDefault = 1024
/** Bytes waiting per (peer, protocol) outbound stream, so large frames cannot multiply by the queue length. */
export const sendQueueBytesMaxDefault = 64 * 1024 * 1024
/** A stream that accepts no bytes for this long is dropped and reopened. */
export const sendStallTimeoutMs = 30_000

/** One dial attempt (TCP connect + Noise + Yamux) must finish within this. */
export const dialTimeoutMs = 5_000
/** Opening an outbound protocol stream (multistream-select) must finish within this. */
export const streamOpenTimeoutMs = 5_000
/** libp2p waits this long for a graceful connection close before aborting it. */
export const connectionCloseTimeoutMs = 1_000

/** Each peer keeps one outbound stream per protocol; a few more cover reopen races. */
export const inboundStreamsPerProtocolMax = 4
export const outboundStreamsPerProtocolMax = 4
/**
 * libp2p rate-limits inbound connections per remote IP (default 5/s). Local testnets put every validator on
 * 127.0.0.1, and the gater already refuses unknown peer ids, so allow more.
 */
export const inboundConnectionsPerSecondPerHostMax = 100
/** Connections in the Noise/Yamux upgrade at once (libp2p default 10). */
export const inboundPendingConnectionsMax = 32

/** Largest per-protocol frame accepted in configuration (1 GiB): keeps lengths well inside safe integers. */
export const frameBytesMaxLimit = 2 ** 30
/** Ed25519 public keys and seeds. */
export const nodeKeyBytes = 32

/** Connections one peer may hold to us at once (both sides dialing at once, plus ones still closing). */
export const connectionsPerPeerMax = 4
/**
 * Inbound streams one peer may hold open per protocol, across all its connections. A well-behaved peer keeps
 * one per protocol; the rest cover a stream still closing while its replacement opens.
 */
export const inboundStreamsPerPeerPerProtocolMax = 4

// Inbound flood control: a token bucket per (peer, protocol), checked once a frame's length prefix is read,
// before its body is allocated. Generous defaults, so a protocol that does not set its own rates is only
// protected against gross floods; the node sets tighter rates per protocol.
/** Sustained frames per second one peer may send on one protocol. */
export const framesPerSecondMaxDefault = 5_000
/** Frames one peer may send on one protocol in a burst above the sustained rate. */
export const burstFramesMaxDefault = 10_000
/** Dropped frames are reported (and the peer penalized for 'flood') at most once per this interval per peer. */
export const floodReportIntervalMsDefault = 1_000

// Peer score: starts at 0, penalties subtract their weight, it decays back towards 0; at or below the
// threshold the peer is disconnected and banned, and its score reset to 0.
export const scoreThresholdDefault = -100
/** Points recovered per second, so occasional faults of an honest peer never add up to a ban. */
export const scoreDecayPerSecondDefault = 1
/** First ban; each repeat offence doubles it, up to `banDurationMaxMsDefault`. */
export const banDurationBaseMsDefault = 10_000
export const banDurationMaxMsDefault = 10 * 60_000
/** A peer not banned for this long after its last ban ended starts again from the base ban duration. */
export const banOffencesForgetMs = 60 * 60_000

/** Penalty weight per reason; the host's `penaltyWeights` option overrides single entries. */
export const penaltyWeightsDefault: Readonly<Record<PenaltyReason, number>> = {
  // A malformed frame may be a version mismatch or a bug: about one per 10 s is absorbed by the decay.
  'invalid-frame': 10,
  'bad-signature': 20,
  // Only a malicious peer forges a certificate: two within 20 s ban it.
  'forged-certificate': 60,
  // Charged once per flood report interval, so a peer flooding without pause is banned within about 25 s.
  flood: 5,
  'invalid-block': 30,
  'sync-misbehaviour': 10,
}

/** The peer policy with every default (the host resolves its own from its options; the simulator uses this). */
export const peerPolicyDefault: PeerPolicy = {
  scoreThreshold: scoreThresholdDefault,
  scoreDecayPerSecond: scoreDecayPerSecondDefault,
  banDurationBaseMs: banDurationBaseMsDefault,
  banDurationMaxMs: banDurationMaxMsDefault,
  penaltyWeights: penaltyWeightsDefault,
  floodReportIntervalMs: floodReportIntervalMsDefault,
  offencesForgetMs: banOffencesForgetMs,
}
