// The fast path: Ed25519 through node:crypto (OpenSSL). OpenSSL verifies cofactorlessly, checks S < L and
// compares the encoded [S]B − [k]A with R byte for byte, which is steps 2–3 of our rule; it does not check
// public keys, so nothing here may be called with a key that has not passed `publicKeyRejection`.
// Internal to crypto/: not re-exported from index.ts.

import crypto, { type KeyObject } from 'node:crypto'
import { ed25519PublicKeyBytes, ed25519SecretKeyBytes } from './ed25519-constants.js'

// DER headers that wrap a raw 32-byte key as SubjectPublicKeyInfo / PKCS #8 (RFC 8410), the only raw-key
// import OpenSSL offers besides JWK, and the cheaper of the two.
const spkiPrefix = Uint8Array.from(Buffer.from('302a300506032b6570032100', 'hex'))
const pkcs8Prefix = Uint8Array.from(Buffer.from('302e020100300506032b657004220420', 'hex'))

function withPrefix(prefix: Uint8Array, key: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + key.length)
  der.set(prefix)
  der.set(key, prefix.length)
  return der
}

export function publicKeyObjectFromBytes(publicKey: Uint8Array): KeyObject {
  return crypto.createPublicKey({ key: withPrefix(spkiPrefix, publicKey), format: 'der', type: 'spki' })
}

export function privateKeyObjectFromSeed(secretKey: Uint8Array): KeyObject {
  return crypto.createPrivateKey({ key: withPrefix(pkcs8Prefix, secretKey), format: 'der', type: 'pkcs8' })
}

export function publicKeyFromPrivateKeyObject(privateKey: KeyObject): Uint8Array {
  const der = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
  if (der.length !== spkiPrefix.length + ed25519PublicKeyBytes) {
    throw new Error(`OpenSSL exported a ${der.length}-byte SPKI for an Ed25519 key`)
  }
  return new Uint8Array(der.subarray(spkiPrefix.length))
}

export function randomSeed(): Uint8Array {
  return new Uint8Array(crypto.randomBytes(ed25519SecretKeyBytes))
}

export function signWithKeyObject(message: Uint8Array, privateKey: KeyObject): Uint8Array {
  // Copied out of the Buffer so callers never hold a view into a pooled slab.
  return new Uint8Array(crypto.sign(null, message, privateKey))
}

export function verifyWithKeyObject(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: KeyObject,
): boolean {
  return crypto.verify(null, message, publicKey, signature)
}

/** The callback form runs on the libuv thread pool (Node copies the inputs first), off the event loop. */
export function verifyWithKeyObjectAsync(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: KeyObject,
): Promise<boolean> {
  return new Promise((resolve) => {
    crypto.verify(null, message, publicKey, signature, (error, valid) => resolve(error === null && valid))
  })
}
