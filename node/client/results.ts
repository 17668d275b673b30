// What a Quorate node answers, as the SDK returns it (docs/rpc.md has every field). Heights and nonces are
// numbers; balances and amounts are decimal strings in JSON and bigint here.

export interface NodeStatus {
  readonly node_id: string
  readonly chain_id: string
  readonly validator_index: number
  readonly height: number
  readonly block_hash: string
  readonly state_root: string
  readonly view: number
  readonly leader: number
  readonly catching_up: boolean
  readonly peers: number
  readonly mempool_txs: number
}

export interface AccountInfo {
  /** Lowercase hex of the account's public key. */
  readonly address: string
  readonly balance: bigint
  /** The committed nonce: the next transaction the chain will execute from this account. */
  readonly nonce: number
  /** The committed nonce plus this node's pending transactions from the account: the nonce to sign next. */
  readonly nextNonce: number
}

/** The answer to a submission: admitted (code 0) or why not (docs/rpc.md, admission codes). */
export interface SubmitResult {
  readonly hash: string
  readonly code: number
  readonly log: string
}

/** A committed transaction: where, and its receipt (code 0: executed; otherwise why it failed). */
export interface CommitResult {
  readonly hash: string
  readonly height: number
  readonly code: number
  readonly log: string
}

export interface ValidatorInfo {
  readonly index: number
  readonly name: string
  readonly consensus_key: string
  readonly node_key: string
}

/** A block as the `block` method answers it (transactions decoded). */
export interface BlockInfo {
  readonly hash: string
  readonly height: number
  readonly view: number
  readonly parent_hash: string
  readonly proposer: number
  readonly timestamp_ms: number
  readonly tx_root: string
  readonly state_root: string
  readonly txs: readonly Record<string, unknown>[]
}

/** A `tm.event='NewBlock'` event. */
export interface NewBlockEvent {
  readonly height: number
  readonly hash: string
  readonly view: number
  readonly proposer: number
  readonly timestamp_ms: number
  readonly num_txs: number
  readonly tx_root: string
  readonly state_root: string
}

/** A `tm.event='Tx'` event: one transaction's commit. */
export interface TxCommitEvent {
  readonly hash: string
  readonly height: number
  readonly index: number
  readonly code: number
  readonly log: string
}

/** A running subscription; `close()` ends it. */
export interface Subscription {
  close(): Promise<void>
}
