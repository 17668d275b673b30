import { fromHex } from '../../crypto/hex.js'
import type { AccountsApp } from '../../ledger/app/index.js'
import type { LedgerStore } from '../../ledger/store/index.js'
import type { Logger } from '../logger.js'
import { AdmissionCode, type AdmissionDeps, type AdmissionResult, admitTx } from '../mempool/admission.js'
import type { CommittedTxLookup } from '../mempool/committed-txs.js'
import { MempoolJournal } from '../mempool/journal.js'
import type { Mempool } from '../mempool/mempool.js'
import { readmitJournaled } from '../mempool/restore.js'
import type { NodeMetrics } from '../metrics.js'
import type { TxVerifier } from '../tx-verifier.js'

/** Admission codes that only a faulty or malicious peer produces (honest peers gossip what they admitted). */
export const peerFaultAdmissionCodes: ReadonlySet<number> = new Set([
  AdmissionCode.malformed,
  AdmissionCode.wrongChain,
  AdmissionCode.badSignature,
  AdmissionCode.tooLarge,
])

export interface TxIntakeDeps {
  readonly chainId: string
  readonly mempool: Mempool
  readonly app: AccountsApp
  readonly ledger: LedgerStore
  readonly txVerifier: TxVerifier
  /** Recent commits and failed nonces in memory, fed by the committer (see committed-txs.ts). */
  readonly committedTxs: CommittedTxLookup
  readonly metrics: NodeMetrics
  readonly logger: Logger
  /** Tells every validator about an admitted transaction (tx gossip). */
  readonly gossip: (bytes: Uint8Array) => void
}

/**
 * Transactions in: admission (size, decode, chain id, signature, nonce, dedup), then the journal, so an
 * accepted transaction is on disk before anyone hears it was accepted; then gossip. The same path for a
 * client's transaction (RPC) and a peer's (gossip, not re-gossiped).
 */
export class TxIntake {
  readonly #deps: TxIntakeDeps
  readonly #admissionDeps: AdmissionDeps
  readonly #journal: MempoolJournal

  constructor(deps: TxIntakeDeps) {
    this.#deps = deps
    const { chainId, mempool, app, txVerifier, committedTxs, ledger } = deps
    this.#admissionDeps = {
      chainId,
      mempool,
      app,
      txVerifier,
      committedTxs,
      isCommitted: (hash) => ledger.hasTx(hash),
    }
    this.#journal = new MempoolJournal(ledger)
  }

  /** A client's transaction: admitted, journaled and, if accepted, gossiped to every validator. */
  async submit(bytes: Uint8Array): Promise<AdmissionResult> {
    const result = await this.admit(bytes)
    if (result.code === AdmissionCode.ok) this.#deps.gossip(bytes)
    return result
  }

  /** Admission, then the journal. */
  async admit(bytes: Uint8Array): Promise<AdmissionResult> {
    const { mempool, metrics } = this.#deps
    const result = await admitTx(this.#admissionDeps, bytes)
    if (result.code === AdmissionCode.ok && result.tx !== null && result.hashHex !== null) {
      try {
        await this.#journal.append(fromHex(result.hashHex), result.tx)
      } catch (error) {
        mempool.remove(result.hashHex)
        throw error
      }
    }
    metrics.txAdmissions.inc({ result: result.code === 0 ? 'accepted' : `rejected-${result.code}` })
    metrics.mempoolTxs.set(mempool.size)
    return result
  }

  /** Every admission check, answering what `submit` would answer now, with nothing admitted (check_tx). */
  check(bytes: Uint8Array): Promise<AdmissionResult> {
    return admitTx(this.#admissionDeps, bytes, 'check')
  }

  /** On start: the journaled transactions are admitted again; those that no longer pass leave the journal. */
  async restore(): Promise<void> {
    const { ledger, mempool, metrics, logger } = this.#deps
    const journaled = await ledger.mempoolTxs()
    const dropped = await readmitJournaled(this.#admissionDeps, journaled)
    await ledger.deleteMempoolTxs(dropped)
    metrics.mempoolTxs.set(mempool.size)
    if (journaled.length > 0)
      logger.info({ restored: mempool.size, dropped: dropped.length }, 'mempool restored from its journal')
  }
}
