import type { CommitRule } from '../../ledger/commit-rule.js'
import type {
  Block,
  ConsensusMessage,
  EvidenceRecord,
  Hash,
  Proposal,
  PublicKey,
  QuorumCertificate,
  SafetyState,
  Signature,
  Timeout,
  TimeoutCertificate,
  Tx,
  Vote,
} from '../../ledger/types.js'

export interface ConsensusParams {
  readonly viewTimeoutBaseMs: number
  readonly viewTimeoutMaxMs: number
  readonly viewTimeoutBackoffExponentMax: number
  readonly blockTxCountMax: number
  readonly maxClockDriftMs: number
  readonly commitRule: CommitRule
}

/** Fixed for the life of a replica: who the validators are, who we are, how we sign. */
export interface ConsensusConfig {
  readonly chainId: string
  /** Consensus public keys, in validator-index order. */
  readonly validators: readonly PublicKey[]
  /** Our validator index. */
  readonly selfIndex: number
  /** Deterministic Ed25519 signing with our consensus key (injected: the core never sees the secret). */
  readonly sign: (message: Uint8Array) => Signature
  readonly params: ConsensusParams
  /**
   * True: an idle chain keeps proposing empty blocks and timing out views (the driver paces them). False
   * (quiescent): a view whose timer expires with no work (no proposable transaction, no uncommitted block with
   * transactions) stops its timer until work arrives, and leaders propose only with work.
   */
  readonly createEmptyBlocks: boolean
}

/** A block in the tree, with the views of its two ancestors so the commit rule needs no lookups. */
export interface TreeEntry {
  readonly block: Block
  readonly hash: Hash
  readonly hashHex: string
  readonly parentView: number
  readonly grandparentView: number
  /** Height committed by the QCs in this block's ancestry; its stateRoot is the root after that height. */
  readonly impliedCommitHeight: number
  /**
   * Per validator, the last view in which this block's chain records it proposing or voting (−1: never, as
   * far as the chain was read). Leader election reads it (leader-election.ts).
   */
  readonly lastActiveViews: readonly number[]
  /** Per validator, its last own round-robin view that this block's chain skipped (−1: none in the window). */
  readonly lastFailedViews: readonly number[]
  /**
   * True once the header's stateRoot was checked against our own execution result. Absent or false for blocks
   * that entered the tree without the check (fetched by hash, restored at boot, the root): a proposal for such a
   * block is checked before any vote, so a block fetched first and proposed later gets no vote unchecked.
   */
  readonly stateRootChecked?: boolean
}

/** Proof that one validator signed two conflicting messages for one view (the ledger's evidence record). */
export type Evidence = EvidenceRecord

export interface ConsensusState {
  readonly config: ConsensusConfig
  readonly view: number
  readonly safety: SafetyState
  /** Consecutive views that ended without a QC; drives the timeout backoff. */
  readonly viewsWithoutQC: number
  /** Uncommitted blocks plus the last committed block (the root), by hex hash. */
  readonly tree: ReadonlyMap<string, TreeEntry>
  readonly rootHashHex: string
  /** Highest height whose execution result we know, and recent state roots by height. */
  readonly executedHeight: number
  readonly stateRoots: ReadonlyMap<number, Hash>
  /** Commits handed to the driver but not yet executed. */
  readonly committingHeight: number
  /** Votes we collect as the next leader: view → voter → vote. */
  readonly votes: ReadonlyMap<number, ReadonlyMap<number, Vote>>
  /** Timeouts: view → sender → timeout. */
  readonly timeouts: ReadonlyMap<number, ReadonlyMap<number, Timeout>>
  /** The TC that ended the previous view, if it ended by timeout: carried in our proposal as leader. */
  readonly lastViewTC: TimeoutCertificate | null
  /** First proposal seen per view of the window and proposer (proposalKey), for equivocation evidence. */
  readonly proposals: ReadonlyMap<string, Proposal>
  /** Highest view we proposed in, so we propose at most once per view. */
  readonly proposedView: number
  /** Highest view we asked the driver for a batch in (asked once every committed block has executed). */
  readonly payloadRequestedView: number
  /** Leader only: the batch handed to us for a view, waiting for execution to catch up. */
  readonly pendingPayload: PayloadInput | null
  /**
   * Proposals that wait for an ancestor or for execution, by view and proposer (proposalKey): at most one per
   * view of the window and proposer, so a validator's spam can never evict another's proposal (the leader is
   * checked once the parent is here).
   */
  readonly pendingProposals: ReadonlyMap<string, PendingProposal>
  /**
   * Fetched blocks whose parent is not in the tree yet, by hex hash (bounded by orphanBlockCountMax): a chain
   * of missing blocks is fetched newest first, each one naming its parent, and joins the tree at once when
   * the lowest arrives, instead of one block per later proposal.
   */
  readonly orphanBlocks: ReadonlyMap<string, OrphanBlock>
  /** Evidence already reported, by view (kind and offender within it), pruned with the view window. */
  readonly evidenceKeys: ReadonlyMap<number, ReadonlySet<string>>
  /**
   * Senders of timeouts for views we left that we sent our TC to since we entered this view or our timer for it
   * last fired: each gets it at most once per timer period, however often it repeats its timeout.
   */
  readonly tcRelayedTo: ReadonlySet<number>
  /**
   * The current view's timer expired with no work (quiescent chains only): it now runs once per maximum view
   * timeout and repeats our last vote, until work arrives.
   */
  readonly timerIdle: boolean
  /** Our last vote, re-sent to a replica that times out below the QC it helped form (it missed the votes). */
  readonly lastVote: Vote | null
}

export interface OrphanBlock {
  readonly block: Block
  readonly hash: Hash
  readonly receivedAtMs: number
}

export interface PendingProposal {
  readonly proposal: Proposal
  readonly receivedAtMs: number
}

export interface PayloadInput {
  readonly kind: 'payload'
  readonly view: number
  /** The parent the batch was chosen for (its in-flight transactions were left out). */
  readonly parentHash: Hash
  readonly txs: readonly Tx[]
  readonly nowMs: number
}

/** Messages reach the core already decoded and signature-checked (see verify.ts). */
export type ConsensusInput =
  | { readonly kind: 'start'; readonly nowMs: number }
  | { readonly kind: 'proposal'; readonly proposal: Proposal; readonly nowMs: number }
  | { readonly kind: 'vote'; readonly vote: Vote }
  | { readonly kind: 'timeout'; readonly timeout: Timeout }
  | { readonly kind: 'timeout-certificate'; readonly tc: TimeoutCertificate }
  /** `pendingTxs`: the mempool holds a transaction a leader could propose now (the driver checks at dispatch). */
  | { readonly kind: 'timer'; readonly view: number; readonly pendingTxs: boolean }
  /** A transaction entered the mempool: an idle view's timer starts again. */
  | { readonly kind: 'work' }
  | { readonly kind: 'executed'; readonly height: number; readonly stateRoot: Hash }
  | { readonly kind: 'block-fetched'; readonly block: Block; readonly nowMs: number }
  | PayloadInput

export interface CommittedBlock {
  readonly block: Block
  readonly hash: Hash
  /** The QC that certifies this block (its child's justify). */
  readonly qc: QuorumCertificate
}

export type ConsensusAction =
  | { readonly kind: 'persist-safety'; readonly safety: SafetyState }
  | { readonly kind: 'send'; readonly to: number; readonly message: ConsensusMessage }
  /** `repeated`: a message we signed and sent before, sent again unchanged (not a new signature). */
  | { readonly kind: 'broadcast'; readonly message: ConsensusMessage; readonly repeated?: boolean }
  | { readonly kind: 'schedule-timer'; readonly view: number; readonly delayMs: number }
  /**
   * As leader of `view`: the driver hands back a batch extending `parentHash`. `chainHasTxs` is true when an
   * uncommitted block on the parent's chain carries transactions: the block is needed to commit them even if
   * empty, so the driver proposes at once instead of pacing it as an idle block.
   */
  | {
      readonly kind: 'request-payload'
      readonly view: number
      readonly parentHash: Hash
      readonly chainHasTxs: boolean
    }
  | { readonly kind: 'persist-block'; readonly block: Block; readonly hash: Hash }
  /** Keep the TC we entered a view with (not synced; the next vote or timeout is). */
  | { readonly kind: 'persist-tc'; readonly tc: TimeoutCertificate }
  | { readonly kind: 'commit'; readonly blocks: readonly CommittedBlock[] }
  | { readonly kind: 'fetch-block'; readonly hash: Hash }
  | { readonly kind: 'record-evidence'; readonly evidence: Evidence }
  | { readonly kind: 'entered-view'; readonly view: number; readonly reason: 'qc' | 'tc' | 'start' | 'join' }

export interface StepResult {
  readonly state: ConsensusState
  readonly actions: readonly ConsensusAction[]
}
