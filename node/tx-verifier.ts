import { nodeSignatureVerifier, type SignatureVerifier } from '../crypto/index.js'
import { txSigningBytes } from '../ledger/hashing.js'
import type { Tx } from '../ledger/types.js'

/** Bound on remembered verified transaction hashes. */
export const verifiedTxCacheSizeMax = 65_536

/**
 * Verifies transaction signatures at most once: a tx verified when the mempool admitted it is not verified
 * again when it arrives inside a proposal. Keys are the hex tx hashes (which cover the signature).
 */
export class TxVerifier {
  readonly #chainId: string
  readonly #verified = new Set<string>()
  readonly #signatures: SignatureVerifier

  constructor(chainId: string, signatures: SignatureVerifier = nodeSignatureVerifier) {
    this.#chainId = chainId
    this.#signatures = signatures
  }

  /** Off the event loop (libuv pool): used for admission, where many txs arrive at once. */
  async verifyAsync(tx: Tx, hashHex: string): Promise<boolean> {
    if (tx.chainId !== this.#chainId) return false
    if (this.#verified.has(hashHex)) return true
    const ok = await this.#signatures.verifyAsync(tx.signature, txSigningBytes(tx), tx.from)
    if (ok) this.#remember(hashHex)
    return ok
  }

  /** Synchronous: used for the txs of a proposal, which were nearly always admitted (and cached) before. */
  verifySync(tx: Tx, hashHex: string): boolean {
    if (tx.chainId !== this.#chainId) return false
    if (this.#verified.has(hashHex)) return true
    const ok = this.#signatures.verify(tx.signature, txSigningBytes(tx), tx.from)
    if (ok) this.#remember(hashHex)
    return ok
  }

  #remember(hashHex: string): void {
    if (this.#verified.size >= verifiedTxCacheSizeMax) {
      // Drop the oldest entry (Sets iterate in insertion order).
      const oldest = this.#verified.values().next().value
      if (oldest !== undefined) this.#verified.delete(oldest)
    }
    this.#verified.add(hashHex)
  }
}
