// The reference path: the whole rule in @noble/ed25519's Point arithmetic, portable and slow (~700/s).
// It deliberately implements each check a second, different way from ed25519-checks.ts and OpenSSL, so the
// differential test can catch a mistake in either. noble's own `verify` is not used: it is cofactored (and
// ZIP-215 by default), which accepts signatures our rule rejects.

import { Point } from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import {
  ed25519GroupOrder,
  ed25519PublicKeyBytes,
  ed25519SignatureBytes,
  littleEndianToBigInt,
} from './ed25519-constants.js'
import { bytesEqual } from './hex.js'

/** Decoded keys that passed; bounded because `verifyReference` is called with arbitrary bytes. */
const referenceKeyCountMax = 1_024
const acceptedPoints = new Map<string, Point>()

function acceptedPoint(publicKey: Uint8Array): Point | undefined {
  if (publicKey.length !== ed25519PublicKeyBytes) return undefined
  const cacheKey = Buffer.from(publicKey).toString('hex')
  const cached = acceptedPoints.get(cacheKey)
  if (cached !== undefined) return cached
  let point: Point
  try {
    point = Point.fromBytes(publicKey, false)
  } catch {
    return undefined
  }
  // Canonical means the decoded point encodes back to the very same bytes: this rules out y >= p and x = 0
  // with the sign bit set whatever the decoder chose to tolerate.
  if (!bytesEqual(point.toBytes(), publicKey)) return undefined
  if (point.is0() || !point.isTorsionFree()) return undefined
  if (acceptedPoints.size >= referenceKeyCountMax) acceptedPoints.clear()
  acceptedPoints.set(cacheKey, point)
  return point
}

/** The full rule (key checks included) on any bytes; never throws. */
export function verifyReference(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    if (
      !(signature instanceof Uint8Array && message instanceof Uint8Array && publicKey instanceof Uint8Array)
    ) {
      return false
    }
    if (signature.length !== ed25519SignatureBytes) return false
    const point = acceptedPoint(publicKey)
    if (point === undefined) return false
    const encodedR = signature.subarray(0, 32)
    const s = littleEndianToBigInt(signature.subarray(32, 64))
    if (s >= ed25519GroupOrder) return false
    // k over R, A and M exactly as received: no re-encoding of R or A.
    const digest = sha512.create().update(encodedR).update(publicKey).update(message).digest()
    const k = littleEndianToBigInt(digest) % ed25519GroupOrder
    const candidate = Point.BASE.multiplyUnsafe(s).subtract(point.multiplyUnsafe(k))
    return bytesEqual(candidate.toBytes(), encodedR)
  } catch {
    return false
  }
}
