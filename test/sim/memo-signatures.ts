import { toHex } from '../../crypto/hex.js'
import { type SignatureVerifier, verify } from '../../crypto/index.js'

/** Bound on remembered verdicts; beyond it the memo starts over (verdicts are pure, so nothing changes). */
const verdictCountMax = 500_000

/**
 * The simulator's signature verifier: the production rule (crypto/ed25519.ts), on the calling thread (so a
 * seeded run is deterministic: no libuv pool), and memoised across every validator of a cluster: each
 * validator verifies every signature it receives, as in production, but the CPU cost is paid once.
 */
export function memoisedSignatureVerifier(): SignatureVerifier {
  const verdicts = new Map<string, boolean>()
  const check = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
    const key = `${toHex(publicKey)}${toHex(signature)}${toHex(message)}`
    const known = verdicts.get(key)
    if (known !== undefined) return known
    const verdict = verify(signature, message, publicKey)
    if (verdicts.size >= verdictCountMax) verdicts.clear()
    verdicts.set(key, verdict)
    return verdict
  }
  return {
    verify: check,
    verifyAsync: async (signature, message, publicKey) => check(signature, message, publicKey),
  }
}
