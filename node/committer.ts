import { bytesEqual, fromHex, toHex } from '../crypto/hex.js'
import type { AccountsApp } from '../ledger/app/index.js'
import type { CommitRule } from '../ledger/commit-rule.js'
import { txHash } from '../ledger/hashing.js'
import { type LedgerStore, StoreError } from '../ledger/store/index.js'
import type { Hash, Receipt } from '../ledger/types.js'
import { type CommittedBlock, childEntry, type TreeEntry } from './consensus/index.js'
import type { CommittedTxIndex } from './mempool/committed-txs.js'
import type { Mempool } from './mempool/mempool.js'
import type { NodeMetrics } from './metrics.js'

const hashBytes = 32

/**
 * A block to commit carries a state root other than the one this validator computed at the block's implied
 * commit height: this validator and the validators that certified the block disagree about the application
 * state. Nothing of the block was written.
 */
export class StateDivergenceError extends Error {
  static override name = 'StateDivergenceError'
  override name = 'StateDivergenceError'

  constructor(
    /** The height of the refused block. */
    readonly height: number,
    /** The committed height whose state root the block carries (its implied commit height). */
    readonly impliedCommitHeight: number,
    /** The state root this validator stored after executing that height. */
    readonly expected: Hash,
    /** The state root in the block's header. */
    readonly found: Hash,
  ) {
    super(
      `block ${height} carries state root ${toHex(found)} for committed height ${impliedCommitHeight}, but this ` +
        `validator's state root at that height is ${toHex(expected)}. A quorum certified the block, so this ` +
        'validator has diverged from the others (non-deterministic execution, a bug, or a corrupt state), or ' +
        'a quorum certified a wrong state. Stop this validator and keep its home directory as it is for ' +
        'inspection; moving the data directory aside and re-syncing would hide the cause.',
    )
  }
}

export interface BlockCommitterDeps {
  readonly store: LedgerStore
  readonly app: AccountsApp
  readonly mempool: Mempool
  /** Told what each commit commits, in step with the application state; answers the duplicate check. */
  readonly committedTxs: CommittedTxIndex
  readonly metrics: NodeMetrics
  /** The committed head's tree entry (from loadTreeRoot at start); advanced by every commit. */
  readonly committedRoot: TreeEntry
  /** The chain's commit rule: it decides the height each block's state root follows. */
  readonly commitRule: CommitRule
  /** The validator's clock, for the commit-latency and last-commit metrics (default: the system clock). */
  readonly nowMs?: () => number
  /** The block is on disk and applied; its receipts in block order. */
  readonly onCommitted: (committed: CommittedBlock, receipts: readonly Receipt[]) => void
}

/**
 * The one commit path, used by consensus and by block sync alike: checks the block's state root against the
 * committed state, executes the block over an overlay, writes it in one atomic synced batch, and only then
 * changes the application state and the mempool, so memory is never ahead of disk. A failed check or write
 * leaves the app, the mempool, the store's head and the committed root as they were, and throws.
 */
export class BlockCommitter {
  readonly #deps: BlockCommitterDeps
  #root: TreeEntry
  readonly #nowMs: () => number
  #committing = false

  constructor(deps: BlockCommitterDeps) {
    this.#deps = deps
    this.#root = deps.committedRoot
    this.#nowMs = deps.nowMs ?? Date.now
  }

  /** The tree entry of the last committed block. */
  get committedRoot(): TreeEntry {
    return this.#root
  }

  /** Returns the state root after the block. */
  async commit(committed: CommittedBlock): Promise<Hash> {
    // Commits are serial (the driver's loop, and block sync with the driver paused): an execution computed
    // while another commit is in flight would read a state that is about to change.
    if (this.#committing) throw new Error('BlockCommitter.commit: called while another commit is in flight')
    this.#committing = true
    try {
      return await this.#commit(committed)
    } finally {
      this.#committing = false
    }
  }

  async #commit(committed: CommittedBlock): Promise<Hash> {
    const { store, app, mempool, committedTxs, metrics } = this.#deps
    const { block, hash, qc } = committed
    const entry = await this.#checkedEntry(committed)
    const hashHexes: string[] = []
    const alreadyCommitted = new Set<string>()
    for (const tx of block.txs) {
      const hashOfTx = txHash(tx)
      const hashHex = toHex(hashOfTx)
      hashHexes.push(hashHex)
      // Exact either way; memory answers for every fresh tx, the tx index for the rest.
      const known = committedTxs.lookup(tx, hashHex, app.account(tx.from).nonce)
      if (known === 'committed' || (known === 'unknown' && (await store.hasTx(hashOfTx))))
        alreadyCommitted.add(hashHex)
    }
    const execution = app.execute(block.txs, (hashOfTx) => alreadyCommitted.has(toHex(hashOfTx)))
    committedTxs.beginCommit(hashHexes)
    try {
      await store.commitBlock({
        block,
        hash,
        qc,
        receipts: execution.receipts,
        accounts: execution.changed,
        stateRoot: execution.stateRoot,
      })
    } catch (error) {
      committedTxs.abandonCommit()
      throw error
    }
    app.apply(execution)
    committedTxs.endCommit(execution.receipts)
    const parentTimestampMs = this.#root.block.header.timestampMs
    this.#root = entry
    // The block's own transactions left the journal in the commit batch; the ones it made stale leave now.
    this.#observe(committed, parentTimestampMs)
    for (const receipt of execution.receipts) {
      const removed = mempool.remove(toHex(receipt.txHash))
      if (removed?.admittedAtMs !== undefined)
        metrics.txCommitLatency.observe((this.#nowMs() - removed.admittedAtMs) / 1000)
    }
    const stale = execution.changed.flatMap(({ address, account }) => mempool.pruneStale(address, account))
    metrics.committedHeight.set(block.header.height)
    metrics.committedTxs.inc(block.txs.length)
    metrics.mempoolTxs.set(mempool.size)
    this.#deps.onCommitted(committed, execution.receipts)
    await store.deleteMempoolTxs(stale.map((hashHex) => fromHex(hashHex, hashBytes)))
    return execution.stateRoot
  }

  /** Block interval (by the blocks' own timestamps), the missing votes of its certificate, the commit time. */
  #observe({ block, qc }: CommittedBlock, parentTimestampMs: number): void {
    const { metrics } = this.#deps
    metrics.blockInterval.observe(Math.max(0, block.header.timestampMs - parentTimestampMs) / 1000)
    if (qc.signers.length > 0) {
      const signed = new Set(qc.signers)
      // A tree entry records activity per validator: its length is the validator count.
      for (let validator = 0; validator < this.#root.lastActiveViews.length; validator++)
        if (!signed.has(validator)) metrics.missedVotes.inc({ validator: String(validator) })
    }
    metrics.lastCommitTime.set(this.#nowMs() / 1000)
  }

  /**
   * The block's tree entry, once the block is known to extend the committed head and to carry the committed
   * state root at its implied commit height (the same rule the core checks before voting, checked again here
   * because block sync commits blocks the core never saw).
   */
  async #checkedEntry({ block, hash }: CommittedBlock): Promise<TreeEntry> {
    const root = this.#root
    const { height, parentHash, stateRoot } = block.header
    if (height !== root.block.header.height + 1 || !bytesEqual(parentHash, root.hash)) {
      throw new StoreError(
        'not-sequential',
        `block ${toHex(hash)} at height ${height} does not extend the committed head (height ` +
          `${root.block.header.height}, hash ${root.hashHex})`,
      )
    }
    const entry = childEntry(root, block, hash, this.#deps.commitRule)
    const expected = await this.#deps.store.stateRootAt(entry.impliedCommitHeight)
    if (expected === undefined) {
      throw new StoreError(
        'corrupt',
        `the state root of committed height ${entry.impliedCommitHeight} is missing from the store`,
      )
    }
    if (!bytesEqual(expected, stateRoot)) {
      throw new StateDivergenceError(height, entry.impliedCommitHeight, expected, stateRoot)
    }
    return entry
  }
}
