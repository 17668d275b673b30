// The parts of the Ed25519 rule that OpenSSL does not enforce (public-key registration) or that we do not
// delegate to it (the signature's shape), written on raw bytes so no library option can loosen them.
// The reference path (ed25519-reference.ts) implements the same checks differently, on purpose: the
// differential test compares the two.

import { Point } from '@noble/ed25519'
import {
  ed25519FieldPrime,
  ed25519GroupOrder,
  ed25519PublicKeyBytes,
  ed25519SignatureBytes,
  littleEndianToBigInt,
} from './ed25519-constants.js'

export class InvalidPublicKeyError extends Error {
  static override name = 'InvalidPublicKeyError'
  override name = 'InvalidPublicKeyError'
}

const signBitMask = 0x80
const groupOrderBytes = bigIntToLittleEndian32(ed25519GroupOrder)

function bigIntToLittleEndian32(value: bigint): Uint8Array {
  const bytes = new Uint8Array(32)
  let rest = value
  for (let i = 0; i < 32; i++) {
    bytes[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return bytes
}

/**
 * Why a public key is not acceptable under the rule, or undefined if it is: 32 bytes, canonical (y < p, and
 * not x = 0 with the sign bit set), not the identity, and in the prime-order subgroup ([L]A = identity).
 * This costs a scalar multiplication (about 1.5 ms in pure JS), so callers cache the verdict.
 */
export function publicKeyRejection(publicKey: Uint8Array): string | undefined {
  if (!(publicKey instanceof Uint8Array)) return 'not a byte array'
  if (publicKey.length !== ed25519PublicKeyBytes) {
    return `expected ${ed25519PublicKeyBytes} bytes, got ${publicKey.length}`
  }
  const signBitSet = (publicKey[31]! & signBitMask) !== 0
  const withoutSignBit = publicKey.slice()
  withoutSignBit[31]! &= ~signBitMask
  if (littleEndianToBigInt(withoutSignBit) >= ed25519FieldPrime)
    return 'non-canonical encoding: y is not below p'

  let point: Point
  try {
    // Lenient decoding (zip215 = true) on purpose: the canonical checks are ours, above and below, so the
    // verdict does not depend on which checks a library version puts behind an option.
    point = Point.fromBytes(publicKey, true)
  } catch {
    return 'not the encoding of a curve point'
  }
  if (point.x === 0n && signBitSet) return 'non-canonical encoding: x is 0 but the sign bit is set'
  if (point.is0()) return 'the identity point'
  if (point.isSmallOrder()) return 'a small-order point (its order divides 8)'
  // [L]A, computed as [L − 1]A + A because noble's multiply takes scalars below L only.
  const multipleByGroupOrder = point.multiplyUnsafe(ed25519GroupOrder - 1n).add(point)
  if (!multipleByGroupOrder.is0()) return 'not in the prime-order subgroup (it has a torsion component)'
  return undefined
}

/** Why a signature's bytes are not acceptable (64 bytes, S < L), or undefined. Says nothing about validity. */
export function signatureRejection(signature: Uint8Array): string | undefined {
  if (!(signature instanceof Uint8Array)) return 'not a byte array'
  if (signature.length !== ed25519SignatureBytes) {
    return `expected ${ed25519SignatureBytes} bytes, got ${signature.length}`
  }
  if (!isBelowGroupOrder(signature.subarray(32, 64))) return 'S is not below the group order L'
  return undefined
}

/** S < L for a 32-byte little-endian S, compared from the most significant byte down (no bigint). */
function isBelowGroupOrder(scalar: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const byte = scalar[i]!
    const limit = groupOrderBytes[i]!
    if (byte !== limit) return byte < limit
  }
  return false
}
