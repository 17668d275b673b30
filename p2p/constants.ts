// Defaults and bounds for the p2p layer. Every limit is named with its unit.

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
