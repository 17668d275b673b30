// Field schemas shared by several object schemas: versions, flags, fixed-size byte fields, validator indices,
// the chain id, and the whole-input wrappers every top-level encode/decode goes through.

import { chainIdBytesMax, validatorCountMax } from '../limits.js'
import { DecodeError, EncodeError } from './errors.js'
import { Reader } from './reader.js'
import { Writer } from './writer.js'

/** The only version of every object layout so far; a new layout gets a new number, never a reinterpretation. */
export const codecVersion = 1

export const hashBytes = 32
export const publicKeyBytes = 32
export const signatureBytes = 64

export function writeVersion(writer: Writer): void {
  writer.u8(codecVersion, 'version')
}

export function readVersion(reader: Reader, what: string): void {
  const version = reader.u8(`${what}.version`)
  if (version !== codecVersion) throw new DecodeError('unknown-version', `${what}: version ${version}`)
}

/** A presence flag: exactly 0 or 1, so one value has one encoding. */
export function readFlag(reader: Reader, what: string): boolean {
  const flag = reader.u8(what)
  if (flag > 1) throw new DecodeError('invalid-field', `${what}: flag ${flag} is neither 0 nor 1`)
  return flag === 1
}

export function writeFlag(writer: Writer, present: boolean, what: string): void {
  writer.u8(present ? 1 : 0, what)
}

export function writeValidatorIndex(writer: Writer, index: number, what: string): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= validatorCountMax) {
    throw new EncodeError(`${what}: validator index ${String(index)} outside [0, ${validatorCountMax})`)
  }
  writer.u16(index, what)
}

export function readValidatorIndex(reader: Reader, what: string): number {
  const index = reader.u16(what)
  if (index >= validatorCountMax) {
    throw new DecodeError('invalid-field', `${what}: validator index ${index} >= ${validatorCountMax}`)
  }
  return index
}

/** Strictly increasing, so a signer list has one encoding and no signer can be counted twice. */
export function checkSignersEncodable(signers: readonly number[], entries: number, what: string): void {
  if (!Array.isArray(signers)) throw new EncodeError(`${what}.signers: expected an array`)
  if (signers.length > validatorCountMax) {
    throw new EncodeError(`${what}: ${signers.length} signers, max ${validatorCountMax}`)
  }
  if (entries !== signers.length) {
    throw new EncodeError(`${what}: ${signers.length} signers but ${entries} matching entries`)
  }
  for (let i = 1; i < signers.length; i++) {
    if (!((signers[i] as number) > (signers[i - 1] as number))) {
      throw new EncodeError(`${what}.signers: not strictly increasing at position ${i}`)
    }
  }
}

export function readSignerAfter(reader: Reader, previous: number, what: string): number {
  const index = readValidatorIndex(reader, what)
  if (index <= previous) {
    throw new DecodeError('invalid-field', `${what}: signer ${index} does not follow ${previous}`)
  }
  return index
}

const chainIdPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** A chain id is short lowercase ASCII, so it can sit inside a domain tag without escaping. */
export function isValidChainId(chainId: unknown): chainId is string {
  return typeof chainId === 'string' && chainId.length <= chainIdBytesMax && chainIdPattern.test(chainId)
}

export function writeChainId(writer: Writer, chainId: string): void {
  if (!isValidChainId(chainId)) throw new EncodeError(`chainId: ${JSON.stringify(chainId)} is not valid`)
  writer.u8(chainId.length, 'chainId.length')
  for (let i = 0; i < chainId.length; i++) writer.u8(chainId.charCodeAt(i), 'chainId')
}

export function readChainId(reader: Reader): string {
  const length = reader.u8('chainId.length')
  if (length > chainIdBytesMax) {
    throw new DecodeError('too-large', `chainId: ${length} bytes, max ${chainIdBytesMax}`)
  }
  const bytes = reader.bytes(length, 'chainId')
  const chainId = String.fromCharCode(...bytes)
  if (!chainIdPattern.test(chainId)) throw new DecodeError('invalid-field', 'chainId: not a valid chain id')
  return chainId
}

const utf8Encoder = new TextEncoder()
// With the u flag a surrogate pair is one code point, so this matches only lone surrogates.
const loneSurrogatePattern = /\p{Surrogate}/u
// fatal: invalid UTF-8 is rejected rather than replaced; ignoreBOM: a leading U+FEFF is kept, not stripped,
// so decoding then encoding gives back the same bytes.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A u16 length + UTF-8 string, at most `bytesMax` bytes. */
export function writeShortString(writer: Writer, text: string, bytesMax: number, what: string): void {
  if (typeof text !== 'string' || loneSurrogatePattern.test(text)) {
    throw new EncodeError(`${what}: not a well-formed string (lone surrogates have no UTF-8 encoding)`)
  }
  const bytes = utf8Encoder.encode(text)
  if (bytes.length > bytesMax) throw new EncodeError(`${what}: ${bytes.length} bytes, max ${bytesMax}`)
  writer.u16(bytes.length, `${what}.length`)
  writer.bytes(bytes)
}

export function readShortString(reader: Reader, bytesMax: number, what: string): string {
  const length = reader.u16(`${what}.length`)
  if (length > bytesMax) throw new DecodeError('too-large', `${what}: ${length} bytes, max ${bytesMax}`)
  const bytes = reader.bytes(length, what)
  try {
    return utf8Decoder.decode(bytes)
  } catch {
    throw new DecodeError('invalid-field', `${what}: not valid UTF-8`)
  }
}

/** Encodes one top-level object; asserts the result fits the bound its decoder will enforce. */
export function encodeWith(bytesMax: number, write: (writer: Writer) => void, what: string): Uint8Array {
  const writer = new Writer()
  write(writer)
  if (writer.length > bytesMax) throw new EncodeError(`${what}: ${writer.length} bytes, max ${bytesMax}`)
  return writer.finish()
}

/**
 * Decodes one top-level object from the whole input: the size is checked before parsing, and every byte
 * must be consumed. A caller's `bytesMax` can only tighten the type's own bound.
 */
export function decodeWith<T>(
  bytes: Uint8Array,
  typeBytesMax: number,
  callerBytesMax: number | undefined,
  read: (reader: Reader) => T,
  what: string,
): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('invalid-field', `${what}: input is not bytes`)
  const bytesMax = callerBytesMax === undefined ? typeBytesMax : Math.min(callerBytesMax, typeBytesMax)
  if (bytes.length > bytesMax) {
    throw new DecodeError('too-large', `${what}: ${bytes.length} bytes, max ${bytesMax}`)
  }
  const reader = new Reader(bytes)
  const value = read(reader)
  reader.end(what)
  return value
}
