// Hex is for the edges only (RPC, files, logs); inside, bytes are Uint8Array.

export class HexError extends Error {
  static override name = 'HexError'
  override name = 'HexError'
}

const hexPattern = /^(?:[0-9a-fA-F]{2})*$/

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Parses lowercase or uppercase hex (no 0x prefix); checks the length when `bytesExpected` is given. */
export function fromHex(text: string, bytesExpected?: number): Uint8Array {
  if (typeof text !== 'string' || !hexPattern.test(text)) throw new HexError('not an even-length hex string')
  if (bytesExpected !== undefined && text.length !== bytesExpected * 2) {
    throw new HexError(`expected ${bytesExpected} bytes of hex, got ${text.length / 2}`)
  }
  return new Uint8Array(Buffer.from(text, 'hex'))
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
