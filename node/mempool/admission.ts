import { toHex } from '../../crypto/hex.js'
import type { AccountsApp } from '../../ledger/app/index.js'
import { DecodeError, decodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import { txBytesMax } from '../../ledger/limits.js'
import { ReceiptCode, type Tx } from '../../ledger/types.js'
import type { TxVerifier } from '../tx-verifier.js'
import type { CommittedTxLookup } from './committed-txs.js'
import type { Mempool } from './mempool.js'

/** CheckTx codes returned by broadcast_tx_* (0 = accepted); execution receipts use ReceiptCode. */
export const AdmissionCode = {
  ok: 0,
  malformed: 10,
  wrongChain: 11,
  badSignature: 12,
  alreadyCommitted: 13,
  alreadyPending: 14,
  badNonce: 15,
  mempoolFull: 16,
  tooLarge: 17,
  rejectedByApp: 18,
} as const
export type AdmissionCode = (typeof AdmissionCode)[keyof typeof AdmissionCode]

export interface AdmissionResult {
  readonly hashHex: string | null
  readonly code: AdmissionCode
  readonly log: string
  readonly tx: Tx | null
}

export interface AdmissionDeps {
  readonly chainId: string
  readonly mempool: Mempool
  readonly app: AccountsApp
  readonly txVerifier: TxVerifier
  /** Memory's answer to "is this tx committed?" (recent hashes, nonces, failed nonces). */
  readonly committedTxs: CommittedTxLookup
  /** The tx index on disk (LedgerStore.hasTx): asked only when memory cannot answer. */
  readonly isCommitted: (hash: Uint8Array) => Promise<boolean>
}

function answer(code: AdmissionCode, log: string, hashHex: string | null = null, tx: Tx | null = null) {
  return { hashHex, code, log, tx }
}

/**
 * Size, decoding and chain id: what needs no state and no signature check (all broadcast_tx_async waits for).
 * Code ok with the decoded tx and its hash, or why not.
 */
export function statelessTxCheck(bytes: Uint8Array, chainId: string): AdmissionResult {
  if (bytes.length > txBytesMax)
    return answer(AdmissionCode.tooLarge, `transaction exceeds ${txBytesMax} bytes`)
  let tx: Tx
  try {
    tx = decodeTx(bytes)
  } catch (error) {
    if (error instanceof DecodeError)
      return answer(AdmissionCode.malformed, `malformed transaction: ${error.message}`)
    throw error
  }
  const hashHex = toHex(txHash(tx))
  if (tx.chainId !== chainId)
    return answer(AdmissionCode.wrongChain, `transaction is for chain ${tx.chainId}, not ${chainId}`, hashHex)
  return answer(AdmissionCode.ok, '', hashHex, tx)
}

/**
 * The mempool's front door: size, decode, chain id, signature (off the event loop, cached), committed, nonce,
 * dedup. "Already committed" is decided from memory for every fresh tx; only a tx whose nonce is used, and not
 * committed recently, costs a read of the tx index (see committed-txs.ts). `mode` 'check' (check_tx) runs every
 * check and answers what admission would answer now, leaving the mempool as it is.
 */
export async function admitTx(
  deps: AdmissionDeps,
  bytes: Uint8Array,
  mode: 'admit' | 'check' = 'admit',
): Promise<AdmissionResult> {
  const decoded = statelessTxCheck(bytes, deps.chainId)
  const { tx, hashHex } = decoded
  if (decoded.code !== AdmissionCode.ok || tx === null || hashHex === null) return decoded
  if (deps.mempool.has(hashHex))
    return answer(AdmissionCode.alreadyPending, 'already in the mempool', hashHex, tx)
  if (!(await deps.txVerifier.verifyAsync(tx, hashHex)))
    return answer(AdmissionCode.badSignature, 'invalid signature', hashHex)
  const committed = deps.app.account(tx.from)
  const known = deps.committedTxs.lookup(tx, hashHex, committed.nonce)
  if (known === 'committed' || (known === 'unknown' && (await deps.isCommitted(txHash(tx)))))
    return answer(AdmissionCode.alreadyCommitted, 'already committed', hashHex, tx)
  const check = deps.app.checkTx(tx)
  if (check.code === ReceiptCode.badNonce) return answer(AdmissionCode.badNonce, check.log, hashHex)
  if (check.code !== ReceiptCode.ok) return answer(AdmissionCode.rejectedByApp, check.log, hashHex)
  const entry = { tx, hashHex, bytes: bytes.length }
  // The state may have moved while the signature was checked: the mempool judges against it as it is now.
  const now = deps.app.account(tx.from)
  const added =
    mode === 'admit' ? deps.mempool.add(entry, now) : (deps.mempool.refusal(entry, now) ?? { ok: true })
  if (!added.ok) {
    const code =
      added.code === 'full'
        ? AdmissionCode.mempoolFull
        : added.code === 'duplicate'
          ? AdmissionCode.alreadyPending
          : AdmissionCode.badNonce
    return answer(code, added.log, hashHex, tx)
  }
  return answer(AdmissionCode.ok, '', hashHex, tx)
}
