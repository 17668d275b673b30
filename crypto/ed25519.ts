// Quorate's one Ed25519 rule (DESIGN §4), strict and cofactorless, on the fast path:
//   1. a public key is accepted once (canonical, not the identity, in the prime-order subgroup) and its
//      OpenSSL key object cached;
//   2. a signature is 64 bytes with S < L;
//   3. k = SHA-512(R ‖ A ‖ M) mod L over the bytes as received; valid iff encode([S]B − [k]A) = R.
// Step 1 is ed25519-checks.ts; steps 2–3 are OpenSSL (with S < L also checked here, so the rule does not
// rest on one library's behaviour). verifyReference (ed25519-reference.ts) is the same rule in pure JS.

import type { KeyObject } from 'node:crypto'
import { InvalidPublicKeyError, publicKeyRejection, signatureRejection } from './ed25519-checks.js'
import { ed25519PublicKeyBytes, ed25519SecretKeyBytes } from './ed25519-constants.js'
import {
  privateKeyObjectFromSeed,
  publicKeyFromPrivateKeyObject,
  publicKeyObjectFromBytes,
  randomSeed,
  signWithKeyObject,
  verifyWithKeyObject,
  verifyWithKeyObjectAsync,
} from './ed25519-node.js'
import { toHex } from './hex.js'

export interface KeyPair {
  /** The 32-byte RFC 8032 seed. */
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export class InvalidSecretKeyError extends Error {
  static override name = 'InvalidSecretKeyError'
  override name = 'InvalidSecretKeyError'
}

/** Accepted keys, least recently used first. Large enough for every validator and active account. */
export const acceptedPublicKeyCountMax = 10_000
/**
 * Rejected keys with the reason, so one bad key sent again and again costs one check. Kept apart from the
 * accepted keys so a flood of distinct bad keys cannot evict good ones.
 */
export const rejectedPublicKeyCountMax = 1_000
/**
 * A node signs with one or two keys; a client (the load generator, the SDK) with one per account it drives: at
 * 256 closed-loop clients a cache of 64 missed on every signature, and rebuilding the key object cost four
 * times the signature itself (test/bench/floor-micro.ts).
 */
export const signingKeyCountMax = 4_096

const acceptedPublicKeys = new Map<string, KeyObject>()
const rejectedPublicKeys = new Map<string, string>()
const signingKeys = new Map<string, KeyObject>()

function rememberBounded<V>(map: Map<string, V>, key: string, value: V, countMax: number): void {
  if (map.size >= countMax) {
    const oldest = map.keys().next()
    if (oldest.done !== true) map.delete(oldest.value)
  }
  map.set(key, value)
}

type KeyVerdict =
  | { readonly accepted: true; readonly keyObject: KeyObject }
  | { readonly accepted: false; readonly reason: string }

function publicKeyVerdict(publicKey: Uint8Array): KeyVerdict {
  if (!(publicKey instanceof Uint8Array)) return { accepted: false, reason: 'not a byte array' }
  // Before any caching: a key of the wrong length is cheap to refuse, and must not become a huge cache key.
  if (publicKey.length !== ed25519PublicKeyBytes) {
    return { accepted: false, reason: `expected ${ed25519PublicKeyBytes} bytes, got ${publicKey.length}` }
  }
  const cacheKey = toHex(publicKey)
  const keyObject = acceptedPublicKeys.get(cacheKey)
  if (keyObject !== undefined) {
    // Move to the most recently used end.
    acceptedPublicKeys.delete(cacheKey)
    acceptedPublicKeys.set(cacheKey, keyObject)
    return { accepted: true, keyObject }
  }
  const knownReason = rejectedPublicKeys.get(cacheKey)
  if (knownReason !== undefined) return { accepted: false, reason: knownReason }

  const reason = publicKeyRejection(publicKey)
  if (reason !== undefined) {
    rememberBounded(rejectedPublicKeys, cacheKey, reason, rejectedPublicKeyCountMax)
    return { accepted: false, reason }
  }
  const created = publicKeyObjectFromBytes(publicKey)
  rememberBounded(acceptedPublicKeys, cacheKey, created, acceptedPublicKeyCountMax)
  return { accepted: true, keyObject: created }
}

/** Whether the rule accepts this public key (and caches it if so). Never throws. */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  try {
    return publicKeyVerdict(publicKey).accepted
  } catch {
    return false
  }
}

/** Accepts a public key at registration (genesis, key files, accounts), or throws saying why not. */
export function registerPublicKey(publicKey: Uint8Array): void {
  const verdict = publicKeyVerdict(publicKey)
  if (!verdict.accepted) throw new InvalidPublicKeyError(`invalid Ed25519 public key: ${verdict.reason}`)
}

function checkedKeyObject(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): KeyObject | undefined {
  if (!(message instanceof Uint8Array)) return undefined
  if (signatureRejection(signature) !== undefined) return undefined
  const verdict = publicKeyVerdict(publicKey)
  return verdict.accepted ? verdict.keyObject : undefined
}

/** The full rule on any bytes, key checks included; false for anything malformed, never throws. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const keyObject = checkedKeyObject(signature, message, publicKey)
    return keyObject !== undefined && verifyWithKeyObject(signature, message, keyObject)
  } catch {
    return false
  }
}

/**
 * The same rule as `verify`, with the signature equation on the libuv thread pool so the event loop stays
 * free. A key not seen before is still checked on the calling thread (once, then cached). Never rejects.
 */
export async function verifyAsync(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  try {
    const keyObject = checkedKeyObject(signature, message, publicKey)
    return keyObject !== undefined && (await verifyWithKeyObjectAsync(signature, message, keyObject))
  } catch {
    return false
  }
}

function signingKeyObject(secretKey: Uint8Array): KeyObject {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== ed25519SecretKeyBytes) {
    const length = secretKey instanceof Uint8Array ? `${secretKey.length} bytes` : 'not a byte array'
    throw new InvalidSecretKeyError(
      `an Ed25519 secret key is a ${ed25519SecretKeyBytes}-byte seed, got ${length}`,
    )
  }
  const cacheKey = toHex(secretKey)
  let keyObject = signingKeys.get(cacheKey)
  if (keyObject === undefined) {
    keyObject = privateKeyObjectFromSeed(secretKey)
    rememberBounded(signingKeys, cacheKey, keyObject, signingKeyCountMax)
  }
  return keyObject
}

/** Ed25519 signature (deterministic, RFC 8032) of `message`; argument order as in @noble/ed25519. */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new TypeError('the message to sign must be a Uint8Array')
  return signWithKeyObject(message, signingKeyObject(secretKey))
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  const publicKey = publicKeyFromPrivateKeyObject(signingKeyObject(secretKey))
  // Always true for a derived key; checking it also caches the key for verification.
  registerPublicKey(publicKey)
  return { secretKey: secretKey.slice(), publicKey }
}

export function generateKeyPair(): KeyPair {
  return keyPairFromSecret(randomSeed())
}
