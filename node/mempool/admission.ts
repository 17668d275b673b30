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

/**
 * The mempool's front door: size, decode, chain id, signature (off the event loop, cached), committed, nonce,
 * dedup. "Already committed" is decided from memory for every fresh tx; only a tx whose nonce is used, and not
 * committed recently, costs a read of the tx index (see committed-txs.ts).
 */
export async function admitTx(deps: AdmissionDeps, bytes: Uint8Array): Promise<AdmissionResult> {
  const fail = (code: AdmissionCode, log: string, hashHex: string | null = null, tx: Tx | null = null) => ({
    hashHex,
    code,
    log,
    tx,
  })
  if (bytes.length > txBytesMax)
    return fail(AdmissionCode.tooLarge, `transaction exceeds ${txBytesMax} bytes`)
  let tx: Tx
  try {
    tx = decodeTx(bytes)
  } catch (error) {
    if (error instanceof DecodeError)
      return fail(AdmissionCode.malformed, `malformed transaction: ${error.message}`)
    throw error
  }
  const hash = txHash(tx)
  const hashHex = toHex(hash)
  if (tx.chainId !== deps.chainId) {
    return fail(
      AdmissionCode.wrongChain,
      `transaction is for chain ${tx.chainId}, not ${deps.chainId}`,
      hashHex,
    )
  }
  if (deps.mempool.has(hashHex))
    return fail(AdmissionCode.alreadyPending, 'already in the mempool', hashHex, tx)
  if (!(await deps.txVerifier.verifyAsync(tx, hashHex))) {
    return fail(AdmissionCode.badSignature, 'invalid signature', hashHex)
  }
  const known = deps.committedTxs.lookup(tx, hashHex, deps.app.account(tx.from).nonce)
  if (known === 'committed' || (known === 'unknown' && (await deps.isCommitted(hash))))
    return fail(AdmissionCode.alreadyCommitted, 'already committed', hashHex, tx)
  const committed = deps.app.account(tx.from)
  const check = deps.app.checkTx(tx)
  if (check.code === ReceiptCode.badNonce) return fail(AdmissionCode.badNonce, check.log, hashHex)
  if (check.code !== ReceiptCode.ok) return fail(AdmissionCode.rejectedByApp, check.log, hashHex)
  const added = deps.mempool.add({ tx, hashHex, bytes: bytes.length }, committed)
  if (!added.ok) {
    const code =
      added.code === 'full'
        ? AdmissionCode.mempoolFull
        : added.code === 'duplicate'
          ? AdmissionCode.alreadyPending
          : AdmissionCode.badNonce
    return fail(code, added.log, hashHex, tx)
  }
  return { hashHex, code: AdmissionCode.ok, log: '', tx }
}
