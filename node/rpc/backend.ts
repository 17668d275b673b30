import type { Genesis } from '../../ledger/genesis.js'
import type { LedgerStore, StoreError, TxLocation } from '../../ledger/store/index.js'
import type { Account } from '../../ledger/types.js'
import type { EvidencePool } from '../evidence/index.js'
import type { AdmissionResult } from '../mempool/admission.js'

/** What the JSON-RPC methods need from a validator (the Validator implements it; tests may too). */
export interface RpcBackend {
  readonly genesis: Genesis
  /** Committed blocks, transactions and receipts (reads only). */
  readonly ledger: Pick<LedgerStore, 'head' | 'blockByHeight' | 'txLocation' | 'receipt'>
  readonly evidence: Pick<EvidencePool, 'rpcResult'>
  status(): Record<string, unknown>
  consensusState(): Record<string, unknown>
  /** The committed account, and the next nonce counting the sender's pending transactions. */
  account(address: Uint8Array): { readonly account: Account; readonly nextNonce: number }
  mempoolStats(): { readonly txCount: number; readonly bytes: number }
  submitTx(bytes: Uint8Array): Promise<AdmissionResult>
  /** Listens before it looks the transaction up, so no commit is missed in between. */
  waitForCommit(
    hashHex: string,
    options: { readonly timeoutMs: number; readonly signal: AbortSignal },
  ): Promise<TxLocation | undefined>
  /** Corrupt stored data found while serving a read: loud in the log and in metrics. */
  reportCorruption(error: StoreError): void
}
