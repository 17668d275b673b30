import { verify, verifyAsync } from './ed25519.js'

/**
 * Ed25519 verification under the one rule (ed25519.ts), as an injected dependency: production verifies off
 * the event loop (node:crypto's async verify on the libuv pool); the simulator binds a synchronous,
 * memoised verifier so that a seeded run is deterministic and every signature is checked once per cluster.
 */
export interface SignatureVerifier {
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  verifyAsync(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>
}

export const nodeSignatureVerifier: SignatureVerifier = { verify, verifyAsync }
