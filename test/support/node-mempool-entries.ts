// Mempool entries for the node/mempool tests: unsigned transfers (the mempool never looks at signatures),
// hashed for real so that distinct (sender, nonce, amount) give distinct hashes.

import { toHex } from '../../crypto/hex.js'
import { txHash } from '../../ledger/hashing.js'
import type { Account, Tx } from '../../ledger/types.js'
import type { MempoolEntry } from '../../node/mempool/mempool.js'

export const mempoolTestChainId = 'mempool-test'

/** Sender `n`'s address: 32 bytes of `n + 1` (so sender 0 is not the all-zero key). */
export function senderAddress(n: number): Uint8Array {
  return new Uint8Array(32).fill(n + 1)
}

export function mempoolEntry(
  sender: number,
  nonce: number,
  options: { readonly amount?: bigint; readonly bytes?: number } = {},
): MempoolEntry {
  const tx: Tx = {
    chainId: mempoolTestChainId,
    from: senderAddress(sender),
    nonce,
    body: { kind: 'transfer', to: new Uint8Array(32).fill(0xee), amount: options.amount ?? 1n },
    signature: new Uint8Array(64),
  }
  return { tx, hashHex: toHex(txHash(tx)), bytes: options.bytes ?? 100 }
}

/** A committed account with `nonce` (the balance plays no part in the mempool's rules). */
export function committedAt(nonce: number): Account {
  return { balance: 1_000n, nonce }
}
