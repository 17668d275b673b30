// Named errors of the p2p layer. A peer's bad input never escapes the host as a throw: these are caught,
// counted through `onPeerEvent`, and end only the offending stream.

/** The host was configured with options it cannot run with (a programming or configuration mistake). */
export class P2PConfigError extends Error {
  static override name = 'P2PConfigError'
  override name = 'P2PConfigError'
}

/** A frame's declared length exceeds the protocol's maximum; detected before its body is read. */
export class FrameTooLargeError extends Error {
  static override name = 'FrameTooLargeError'
  override name = 'FrameTooLargeError'
  readonly frameBytes: number
  readonly frameBytesMax: number

  constructor(frameBytes: number, frameBytesMax: number) {
    super(`frame of at least ${frameBytes} bytes exceeds the maximum of ${frameBytesMax} bytes`)
    this.frameBytes = frameBytes
    this.frameBytesMax = frameBytesMax
  }
}

/** A frame's length prefix is not a minimal unsigned varint. */
export class FramePrefixInvalidError extends Error {
  static override name = 'FramePrefixInvalidError'
  override name = 'FramePrefixInvalidError'
}

/** The remote ended a stream in the middle of a frame. */
export class FrameTruncatedError extends Error {
  static override name = 'FrameTruncatedError'
  override name = 'FrameTruncatedError'
}

/** The host is closing or closed. */
export class HostClosedError extends Error {
  static override name = 'HostClosedError'
  override name = 'HostClosedError'
}

/** An outbound stream closed or was reset (by the peer, or with its connection) while frames waited on it. */
export class OutboundStreamClosedError extends Error {
  static override name = 'OutboundStreamClosedError'
  override name = 'OutboundStreamClosedError'
}

/** An operation of the host's own (dial, stream open, a stalled send) ran past its deadline. */
export class TimeoutError extends Error {
  static override name = 'TimeoutError'
  override name = 'TimeoutError'
}

/** Ends a connection or stream of a peer the host refuses (banned, blocked, over a limit). */
export class PeerRefusedError extends Error {
  static override name = 'PeerRefusedError'
  override name = 'PeerRefusedError'
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    return `${err.name}: ${err.message}`
  }
  return String(err)
}
