// Decoders see bytes from peers and clients: every rejection is a DecodeError with a code, so callers can
// count and log it and never crash. Encoders see our own values: a bad one is a bug, reported as EncodeError.

export type DecodeErrorCode =
  | 'truncated'
  | 'trailing-bytes'
  | 'too-large'
  | 'unknown-version'
  | 'unknown-kind'
  | 'invalid-field'

export class DecodeError extends Error {
  static override name = 'DecodeError'
  override name = 'DecodeError'
  readonly code: DecodeErrorCode

  constructor(code: DecodeErrorCode, message: string) {
    super(`${code}: ${message}`)
    this.code = code
  }
}

/** A value that has no canonical encoding (wrong length, unsafe integer, unsorted signers, …). */
export class EncodeError extends Error {
  static override name = 'EncodeError'
  override name = 'EncodeError'
}
