import { bytesEqual, toHex } from '../../crypto/hex.js'
import { blockHash, proposalSigningBytes, txRoot, voteSigningBytes } from '../../ledger/hashing.js'
import { blockTreeBlockCountMax } from '../../ledger/limits.js'
import type { Block, BlockHeader, Hash, Proposal, TimeoutCertificate, Vote } from '../../ledger/types.js'
import { childEntry, impliedCommitHeightOfChild, pathToRoot } from './block-tree.js'
import { applyChainRules, highestQCViewIn, processQC, processTC } from './certificates.js'
import type { StepContext } from './context.js'
import { withEntry } from './context.js'
import { recordEvidence } from './evidence.js'
import { electedLeader, mayLead } from './leader-election.js'
import { requestBlock } from './missing-blocks.js'
import type { PayloadInput, TreeEntry } from './types.js'
import { isBeyondFutureWindow, lowestKeptView, proposalKey, rootViewOf } from './view-window.js'
import { onVote } from './votes.js'

/** Why a block was not added to the tree (waiting is not a rejection: the block is kept for later). */
export type BlockCheck = 'ok' | 'missing-parent' | 'awaiting-execution' | 'invalid'

/**
 * Handles a verified proposal: view window first, then certificates, then the block, then maybe a vote.
 * Every per-view structure it touches (first proposal, pending proposal, evidence key) is bounded by the window.
 */
export function onProposal(context: StepContext, proposal: Proposal, nowMs: number, isRetry = false): void {
  const header = proposal.block.header
  // A view is entered with the QC or the TC of the view before; a proposal shows which (docs/protocol.md).
  if (header.justify.view !== header.view - 1 && proposal.lastViewTC?.view !== header.view - 1) return
  if (!mayLead(header.view, header.proposer, context.validatorCount)) return
  if (isBeyondFutureWindow(context.state, header.view)) {
    // Too far ahead to keep, but its certificates are verified: a replica far behind catches up from them
    // (enters justify.view + 1 or lastViewTC.view + 1), and then handles the proposal if it is now in reach.
    catchUpFrom(context, proposal)
    if (isBeyondFutureWindow(context.state, header.view)) return
  }
  // Late proposals of the last views are still useful; older ones are fetched by hash if a QC needs them.
  if (header.view < lowestKeptView(context.state)) return
  const root = context.state.tree.get(context.state.rootHashHex)!
  if (header.height <= root.block.header.height) return
  // A block's parent is the block its justify certifies, in an earlier view. A proposal naming another parent
  // is invalid, and its parentHash is a hash the leader alone chose: fetching it would plant uncertified blocks.
  if (!bytesEqual(header.parentHash, header.justify.blockHash) || header.justify.view >= header.view) return

  const hash = blockHash(header)
  // The leader depends on the parent's chain: checked once the parent is here (a waiting proposal on retry).
  const parent = context.state.tree.get(toHex(header.parentHash))
  if (parent !== undefined && header.proposer !== electedLeader(header.view, parent)) return
  const key = proposalKey(header)
  const first = context.state.proposals.get(key)
  if (first !== undefined && !bytesEqual(blockHash(first.block.header), hash)) {
    recordEvidence(
      context,
      { kind: 'double-proposal', view: header.view, first, second: proposal },
      header.proposer,
    )
    return
  }
  // The same proposal again while it waits: nothing new (its certificates were used, its parent requested).
  if (!isRetry && context.state.pendingProposals.has(key)) return
  if (first === undefined) context.update({ proposals: withEntry(context.state.proposals, key, proposal) })

  processQC(context, header.justify)
  if (proposal.lastViewTC !== null) processTC(context, proposal.lastViewTC)
  // The certificates moved us forward at most to header.view (justify.view < view, lastViewTC.view = view − 1),
  // so the proposal is still in the window.

  const check = addBlock(context, proposal.block, hash, { checkStateRoot: true, nowMs })
  if (check === 'missing-parent') {
    // A parent certified at or below the root's view is committed history or a dead fork: never valid.
    if (header.justify.view <= rootViewOf(context.state)) return
    keepPending(context, proposal, nowMs)
    if (!isRetry) requestBlock(context, header.parentHash, header.justify.view)
    return
  }
  if (check === 'awaiting-execution') {
    keepPending(context, proposal, nowMs)
    return
  }
  if (check === 'invalid') return
  maybeVote(context, proposal, hash)
}

/** Certificates of a message too far ahead to keep: each counts only if it moves us forward. */
function catchUpFrom(context: StepContext, proposal: Proposal): void {
  const { justify } = proposal.block.header
  if (justify.view > context.state.safety.highQC.view) processQC(context, justify)
  if (proposal.lastViewTC !== null) processTC(context, proposal.lastViewTC)
}

/**
 * Validates a block against its parent and inserts it into the tree. Proposals check the state root (we vote on
 * them); fetched blocks are authenticated by their hash and certified by a QC, so they enter unchecked
 * (`stateRootChecked` false). A proposal for a block already in the tree is checked then, if it was not yet: the
 * state root is checked on every path before a vote.
 */
export function addBlock(
  context: StepContext,
  block: Block,
  hash: Hash,
  options: { checkStateRoot: boolean; nowMs: number },
): BlockCheck {
  const hashHex = toHex(hash)
  const known = context.state.tree.get(hashHex)
  if (known !== undefined) {
    if (!options.checkStateRoot || known.stateRootChecked === true) return 'ok'
    const check = checkStateRoot(context, known)
    if (check === 'ok') {
      const checked: TreeEntry = { ...known, stateRootChecked: true }
      context.update({ tree: withEntry(context.state.tree, hashHex, checked) })
    }
    return check
  }
  const header = block.header
  const parent = context.state.tree.get(toHex(header.parentHash))
  if (parent === undefined) return 'missing-parent'
  if (!isValidChild(context, parent, block, options.nowMs)) return 'invalid'
  const { commitRule } = context.state.config.params
  const entry: TreeEntry = {
    ...childEntry(parent, block, hash, commitRule),
    stateRootChecked: options.checkStateRoot,
  }
  if (options.checkStateRoot) {
    const check = checkStateRoot(context, entry)
    if (check !== 'ok') return check
  }
  if (context.state.tree.size >= blockTreeBlockCountMax) return 'invalid'
  context.update({ tree: withEntry(context.state.tree, hashHex, entry) })
  // Kept on disk so a restart (even of every validator) still has the blocks its highest QCs certify.
  context.emit({ kind: 'persist-block', block, hash })
  // The new block's justify certifies its parent: lock and commit rules may now apply.
  applyChainRules(context, parent, header.justify)
  // And if we already hold a QC for this very block, apply it too.
  const { highQC } = context.state.safety
  if (bytesEqual(highQC.blockHash, hash)) applyChainRules(context, entry, highQC)
  return 'ok'
}

/**
 * The header's stateRoot must be the root after its implied commit height. Deterministic: once a height has
 * executed its root never changes, so a block found wrong is wrong for good (it never gets a vote).
 */
function checkStateRoot(context: StepContext, entry: TreeEntry): BlockCheck {
  if (entry.impliedCommitHeight > context.state.executedHeight) return 'awaiting-execution'
  const expected = context.state.stateRoots.get(entry.impliedCommitHeight)
  return expected !== undefined && bytesEqual(expected, entry.block.header.stateRoot) ? 'ok' : 'invalid'
}

function isValidChild(context: StepContext, parent: TreeEntry, block: Block, nowMs: number): boolean {
  const header = block.header
  const parentHeader = parent.block.header
  const { params } = context.state.config
  return (
    bytesEqual(header.justify.blockHash, parent.hash) &&
    header.justify.view === parentHeader.view &&
    header.height === parentHeader.height + 1 &&
    header.view > parentHeader.view &&
    header.timestampMs > parentHeader.timestampMs &&
    header.timestampMs <= nowMs + params.maxClockDriftMs &&
    block.txs.length <= params.blockTxCountMax &&
    bytesEqual(header.txRoot, txRoot(block.txs))
  )
}

/** The voting rule: once per view, only in the current view, only if the commit rule's safety rule allows it. */
function maybeVote(context: StepContext, proposal: Proposal, hash: Hash): void {
  const { header } = proposal.block
  const { safety, view, config } = context.state
  if (header.view !== view || header.view <= safety.lastVotedView) return
  if (!isSafeToExtend(context, header.view, header.justify.view, proposal.lastViewTC)) return
  const nextSafety = { ...safety, lastVotedView: header.view }
  context.update({ safety: nextSafety })
  context.emit({ kind: 'persist-safety', safety: nextSafety })
  const vote: Vote = {
    view: header.view,
    blockHash: hash,
    voter: context.self,
    signature: config.sign(voteSigningBytes(config.chainId, header.view, hash)),
  }
  // Votes go to every validator, not only to leader(view+1): each replica forms QC(view) itself, so three
  // consecutive honest proposers commit even when the next leader is down (see docs/protocol.md).
  context.update({ lastVote: vote })
  context.emit({ kind: 'broadcast', message: { kind: 'vote', vote } })
  onVote(context, vote)
}

/**
 * Three-chain: the block extends a QC at or above the lock. Two-chain (Jolteon): it extends the QC of the view
 * before, or, entering by TC(v − 1), a QC at least as high as every high QC the TC's signers held: any block a
 * QC could have committed is an ancestor of that QC's block (docs/protocol.md, "Commit rules").
 */
function isSafeToExtend(
  context: StepContext,
  view: number,
  justifyView: number,
  tc: TimeoutCertificate | null,
): boolean {
  if (context.state.config.params.commitRule === 'three-chain') {
    return justifyView >= context.state.safety.preferredView
  }
  if (justifyView === view - 1) return true
  return tc !== null && tc.view === view - 1 && justifyView >= highestQCViewIn(tc)
}

/**
 * At most one pending proposal per view and proposer (the first one), within the view window: nothing to
 * evict. Per proposer, because the leader is known only once the parent is here: a proposal from a validator
 * that is not the leader must not keep out the leader's.
 */
function keepPending(context: StepContext, proposal: Proposal, receivedAtMs: number): void {
  const { pendingProposals } = context.state
  context.update({
    pendingProposals: withEntry(pendingProposals, proposalKey(proposal.block.header), {
      proposal,
      receivedAtMs,
    }),
  })
}

/** Leader: a batch arrived from the mempool for our view. Propose once execution has caught up. */
export function onPayload(context: StepContext, payload: PayloadInput): void {
  const { view, proposedView } = context.state
  if (payload.view !== view || proposedView >= view) return
  if (!isLeaderOver(context, view, payload.parentHash)) return
  context.update({ pendingPayload: payload })
  tryPropose(context)
}

/**
 * As leader of the current view, ask the driver for a batch once every committed block has executed, so the
 * batch is chosen against the state the block will extend.
 */
export function requestPayloadWhenReady(context: StepContext): void {
  const { view, proposedView, payloadRequestedView, executedHeight, committingHeight, safety } = context.state
  if (proposedView >= view || payloadRequestedView >= view || view <= safety.lastVotedView) return
  if (executedHeight < committingHeight) return
  // The batch leaves out what the parent's ancestors hold, so the parent must be in the tree first (it also
  // names the leader).
  if (!isLeaderOver(context, view, safety.highQC.blockHash)) return
  context.update({ payloadRequestedView: view })
  const chain = pathToRoot(context.state.tree, toHex(safety.highQC.blockHash), context.state.rootHashHex)
  const chainHasTxs = chain?.some((entry) => entry.block.txs.length > 0) ?? false
  context.emit({ kind: 'request-payload', view, parentHash: safety.highQC.blockHash, chainHasTxs })
}

/** True when we lead `view` over the block `parentHash`, which is in the tree. */
function isLeaderOver(context: StepContext, view: number, parentHash: Hash): boolean {
  const parent = context.state.tree.get(toHex(parentHash))
  return parent !== undefined && electedLeader(view, parent) === context.self
}

export function tryPropose(context: StepContext): void {
  const payload = context.state.pendingPayload
  const { view, safety, config } = context.state
  if (payload === null || payload.view !== view) return
  if (!bytesEqual(payload.parentHash, safety.highQC.blockHash)) {
    // highQC moved since the batch was chosen: it may repeat what the new parent's ancestors hold. Ask again.
    context.update({ pendingPayload: null, payloadRequestedView: view - 1 })
    return
  }
  // Never propose in a view we already voted or timed out in (also after a restart): a second, different
  // proposal for the view would be equivocation.
  if (view <= safety.lastVotedView) return
  // Entered by a TC whose signers claim a higher QC than ours (one of them may have lied): no honest replica
  // would vote, so wait for a TC of our own (timeouts.ts) or a higher QC instead of wasting the view.
  const lastViewTC = context.state.lastViewTC
  const tc = lastViewTC !== null && lastViewTC.view === view - 1 ? lastViewTC : null
  if (!isSafeToExtend(context, view, safety.highQC.view, tc)) return
  const parent = context.state.tree.get(toHex(safety.highQC.blockHash))
  if (parent === undefined) return // fetch-block was emitted when the QC arrived
  const entryHeight = impliedCommitHeightOfChild(parent, config.params.commitRule)
  // Wait until every committed block has executed (retried on 'executed'): the batch was chosen against the
  // executed state, and the state root must be known.
  if (context.state.executedHeight < Math.max(entryHeight, context.state.committingHeight)) return
  const stateRoot = context.state.stateRoots.get(entryHeight)
  if (stateRoot === undefined) {
    context.update({ pendingPayload: null })
    return
  }
  const txs = payload.txs.slice(0, config.params.blockTxCountMax)
  const header: BlockHeader = {
    height: parent.block.header.height + 1,
    view,
    parentHash: parent.hash,
    justify: safety.highQC,
    proposer: context.self,
    timestampMs: Math.max(payload.nowMs, parent.block.header.timestampMs + 1),
    txRoot: txRoot(txs),
    stateRoot,
  }
  const hash = blockHash(header)
  const proposal: Proposal = {
    block: { header, txs },
    lastViewTC: tc,
    signature: config.sign(proposalSigningBytes(config.chainId, hash)),
  }
  context.update({ proposedView: view, pendingPayload: null })
  // Vote for our own block first: that persists lastVotedView = view before the proposal leaves, so a restart
  // can never lead to a second proposal for this view.
  onProposal(context, proposal, payload.nowMs)
  // If we could not vote for it (say its timestamp is beyond our clock's drift bound), it is not sent at all.
  if (context.state.safety.lastVotedView !== view) return
  context.emit({ kind: 'broadcast', message: { kind: 'proposal', proposal } })
}
