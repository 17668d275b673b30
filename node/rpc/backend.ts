import type { Genesis } from '../../ledger/genesis.js'
import type { LedgerStore, StoreError } from '../../ledger/store/index.js'
import type { Account, Tx } from '../../ledger/types.js'
import type { EvidencePool } from '../evidence/index.js'
import type { AdmissionResult } from '../mempool/admission.js'
import type { TxCommit } from '../validator/commit-waiters.js'

export interface CommitWaitOptions {
  readonly timeoutMs: number
  readonly signal: AbortSignal
  /** The transaction itself, when the caller has it: a fresh one is known not to be committed without a read. */
  readonly tx?: Tx
}

/** What the JSON-RPC methods need from a validator (the Validator implements it; tests may too). */
export interface RpcBackend {
  readonly genesis: Genesis
  /** Committed blocks with their QCs, transactions and receipts (reads only). */
  readonly ledger: Pick<
    LedgerStore,
    'head' | 'blockByHeight' | 'blockByHash' | 'qcForBlock' | 'txLocation' | 'receipt'
  >
  readonly evidence: Pick<EvidencePool, 'rpcResult'>
  status(): Record<string, unknown>
  consensusState(): Record<string, unknown>
  /** The node keys (hex) of the peers connected now. */
  connectedPeers(): readonly string[]
  /** The committed account, and the next nonce counting the sender's pending transactions. */
  account(address: Uint8Array): { readonly account: Account; readonly nextNonce: number }
  mempoolStats(): { readonly txCount: number; readonly bytes: number }
  /** Pending transactions, oldest first, at most `limit`. */
  pendingTxs(limit: number): readonly Tx[]
  submitTx(bytes: Uint8Array): Promise<AdmissionResult>
  /**
   * Starts admitting `bytes` (submitTx) without waiting for it; a failure is logged and counted. False when too
   * many admissions are already under way (nothing was started).
   */
  submitTxInBackground(bytes: Uint8Array): boolean
  /** What submitTx would answer now, with nothing added to the mempool or its journal. */
  checkTx(bytes: Uint8Array): Promise<AdmissionResult>
  /**
   * Listens before it looks the transaction up, so no commit is missed in between. Woken by the commit, the
   * answer carries the receipt.
   */
  waitForCommit(hashHex: string, options: CommitWaitOptions): Promise<TxCommit | undefined>
  /** Corrupt stored data found while serving a read: loud in the log and in metrics. */
  reportCorruption(error: StoreError): void
}
