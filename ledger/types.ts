// The ledger's data types. Bytes are Uint8Array; heights and views are safe integers (encoded as u64);
// amounts and balances are bigint (u64). Hex appears only at the edges (RPC, files, logs).

/** 32-byte SHA-256 digest. */
export type Hash = Uint8Array
/** 32-byte Ed25519 public key. Account addresses are public keys (lowercase hex at the edges). */
export type PublicKey = Uint8Array
/** 64-byte Ed25519 signature. */
export type Signature = Uint8Array

export interface TransferBody {
  readonly kind: 'transfer'
  readonly to: PublicKey
  readonly amount: bigint
}

export type TxBody = TransferBody

/** A signed client transaction. The signature covers the domain-tagged canonical encoding of the unsigned part. */
export interface Tx {
  readonly chainId: string
  readonly from: PublicKey
  readonly nonce: number
  readonly body: TxBody
  readonly signature: Signature
}

/** A quorum certificate: at least a quorum of distinct validators signed Vote(view, blockHash). */
export interface QuorumCertificate {
  readonly view: number
  readonly blockHash: Hash
  /** Indices into the validator set, strictly increasing (so no signer repeats). */
  readonly signers: readonly number[]
  /** signatures[i] is the signature of validator signers[i]. */
  readonly signatures: readonly Signature[]
}

export interface BlockHeader {
  readonly height: number
  readonly view: number
  readonly parentHash: Hash
  /** Certificate of the parent block (the genesis QC for height 1). */
  readonly justify: QuorumCertificate
  /** Index of the proposer in the validator set. */
  readonly proposer: number
  readonly timestampMs: number
  readonly txRoot: Hash
  /** State root after executing every block that the QCs in this block's ancestry commit. */
  readonly stateRoot: Hash
}

export interface Block {
  readonly header: BlockHeader
  readonly txs: readonly Tx[]
}

export interface Vote {
  readonly view: number
  readonly blockHash: Hash
  readonly voter: number
  readonly signature: Signature
}

export interface Timeout {
  readonly view: number
  /** The sender's highest QC; the signature covers (view, highQC.view). */
  readonly highQC: QuorumCertificate
  readonly sender: number
  readonly signature: Signature
}

/** A timeout certificate: a quorum of signed timeouts for one view. */
export interface TimeoutCertificate {
  readonly view: number
  /** Strictly increasing validator indices. */
  readonly signers: readonly number[]
  /** highQCViews[i] is the highQC view that signers[i] signed. */
  readonly highQCViews: readonly number[]
  readonly signatures: readonly Signature[]
}

/** A leader's proposal: the block, the TC that ended the previous view (if it ended by timeout), signed. */
export interface Proposal {
  readonly block: Block
  readonly lastViewTC: TimeoutCertificate | null
  readonly signature: Signature
}

/** Everything carried on /quorate/consensus/1.0.0. */
export type ConsensusMessage =
  | { readonly kind: 'proposal'; readonly proposal: Proposal }
  | { readonly kind: 'vote'; readonly vote: Vote }
  | { readonly kind: 'timeout'; readonly timeout: Timeout }
  /** Relayed to a replica still timing out in a view that this TC already ended, so it catches up. */
  | { readonly kind: 'timeout-certificate'; readonly tc: TimeoutCertificate }

export const ReceiptCode = {
  ok: 0,
  badNonce: 1,
  insufficientFunds: 2,
  duplicate: 3,
  invalidAmount: 4,
} as const
export type ReceiptCode = (typeof ReceiptCode)[keyof typeof ReceiptCode]

export interface Receipt {
  readonly txHash: Hash
  readonly code: ReceiptCode
  readonly log: string
}

/** What a validator must never forget: written with sync before any vote or timeout leaves the process. */
export interface SafetyState {
  /** Highest view this validator voted in or sent a timeout for. */
  readonly lastVotedView: number
  /** The lock: view of the highest block that is the grandparent-by-QC of a block seen. */
  readonly preferredView: number
  readonly highQC: QuorumCertificate
  /** The last timeout signed, so a restarted validator re-sends that one instead of signing a different one. */
  readonly lastTimeout: Timeout | null
}

export interface Account {
  readonly balance: bigint
  readonly nonce: number
}

/**
 * Proof that one validator signed two conflicting messages for one view: two proposals for different blocks
 * (from the view's leader), two votes for different blocks, or two timeouts with different highQC views.
 * The consensus core records it (node/consensus: `Evidence` is this type); the store keeps it; peers gossip it.
 */
export type EvidenceRecord =
  | {
      readonly kind: 'double-proposal'
      readonly view: number
      readonly first: Proposal
      readonly second: Proposal
    }
  | { readonly kind: 'double-vote'; readonly view: number; readonly first: Vote; readonly second: Vote }
  | {
      readonly kind: 'double-timeout'
      readonly view: number
      readonly first: Timeout
      readonly second: Timeout
    }

export type EvidenceKind = EvidenceRecord['kind']
