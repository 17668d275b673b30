// Fixed layouts of the store's own records (the ledger objects themselves use the ledger codec).
// Each decoder consumes the whole value, so a truncated or padded value is reported as corrupt.

import { DecodeError, isValidChainId, Reader, Writer } from '../codec/index.js'
import type { Hash } from '../types.js'

const hashBytes = 32

export interface Head {
  readonly height: number
  readonly hash: Hash
  /** State root after executing the head block. */
  readonly stateRoot: Hash
}

export interface TxLocation {
  readonly height: number
  /** Position of the tx in its block. */
  readonly index: number
}

export function encodeSchemaVersion(version: number): Uint8Array {
  return new Writer(4).u32(version, 'schemaVersion').finish()
}

export function decodeSchemaVersion(bytes: Uint8Array): number {
  const reader = new Reader(bytes)
  const version = reader.u32('schemaVersion')
  reader.end('schemaVersion')
  return version
}

const asciiEncoder = new TextEncoder()
const asciiDecoder = new TextDecoder('utf-8', { fatal: true })

export function encodeChainId(chainId: string): Uint8Array {
  return asciiEncoder.encode(chainId)
}

export function decodeChainId(bytes: Uint8Array): string {
  const chainId = asciiDecoder.decode(bytes)
  if (!isValidChainId(chainId)) throw new DecodeError('invalid-field', 'chainId: not a valid chain id')
  return chainId
}

export function encodeHash(hash: Hash): Uint8Array {
  return new Writer(hashBytes).bytes(hash, hashBytes, 'hash').finish()
}

export function decodeHash(bytes: Uint8Array): Hash {
  const reader = new Reader(bytes)
  const hash = reader.bytes(hashBytes, 'hash')
  reader.end('hash')
  return hash
}

export function encodeHead(head: Head): Uint8Array {
  return new Writer(8 + 2 * hashBytes)
    .u64(head.height, 'head.height')
    .bytes(head.hash, hashBytes, 'head.hash')
    .bytes(head.stateRoot, hashBytes, 'head.stateRoot')
    .finish()
}

export function decodeHead(bytes: Uint8Array): Head {
  const reader = new Reader(bytes)
  const height = reader.u64('head.height')
  const hash = reader.bytes(hashBytes, 'head.hash')
  const stateRoot = reader.bytes(hashBytes, 'head.stateRoot')
  reader.end('head')
  return { height, hash, stateRoot }
}

export function encodeTxLocation(location: TxLocation): Uint8Array {
  return new Writer(12)
    .u64(location.height, 'txLocation.height')
    .u32(location.index, 'txLocation.index')
    .finish()
}

export function decodeTxLocation(bytes: Uint8Array): TxLocation {
  const reader = new Reader(bytes)
  const height = reader.u64('txLocation.height')
  const index = reader.u32('txLocation.index')
  reader.end('txLocation')
  return { height, index }
}

/** A bare u64 (a nonce, a height). */
export function encodeU64(value: number, what: string): Uint8Array {
  return new Writer(8).u64(value, what).finish()
}

export function decodeU64(bytes: Uint8Array, what: string): number {
  const reader = new Reader(bytes)
  const value = reader.u64(what)
  reader.end(what)
  return value
}
