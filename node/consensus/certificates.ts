import { bytesEqual, toHex } from '../../crypto/hex.js'
import type { QuorumCertificate, TimeoutCertificate } from '../../ledger/types.js'
import { heightCommittedByQCFor, pathToRoot, pruneTree } from './block-tree.js'
import type { StepContext } from './context.js'
import { recordEvidence } from './evidence.js'
import { requestBlock } from './missing-blocks.js'
import { shareQCWithConflictingVoters } from './qc-sharing.js'
import type { CommittedBlock, TreeEntry } from './types.js'
import { enterView } from './view-change.js'
import { pruneToViewWindow } from './view-window.js'

/** Thrown when a rule that protects safety is broken: the replica must stop, not continue in an unknown state. */
export class SafetyViolationError extends Error {
  static override name = 'SafetyViolationError'
  override name = 'SafetyViolationError'
}

/**
 * Applies a (verified) QC: raise highQC, update the lock, commit by the chain's commit rule, and move to the next
 * view.
 */
export function processQC(context: StepContext, qc: QuorumCertificate): void {
  detectVotesConflictingWith(context, qc)
  const { safety } = context.state
  if (qc.view > safety.highQC.view) {
    context.update({ safety: { ...safety, highQC: qc } })
    shareQCWithConflictingVoters(context, qc)
  }
  const certified = context.state.tree.get(toHex(qc.blockHash))
  if (certified !== undefined) applyChainRules(context, certified, qc)
  // Only our highQC's block is worth fetching here: a lower certified block is an ancestor of it (fetched as
  // its missing parent) or on a fork we will never extend (a proposal that does extend it fetches its parent
  // itself). Otherwise any peer could turn every stale QC it replays into a fetch towards every peer.
  else if (qc.view >= context.state.safety.highQC.view) requestBlock(context, qc.blockHash, qc.view)
  if (qc.view + 1 > context.state.view) {
    context.update({ viewsWithoutQC: 0 })
    enterView(context, qc.view + 1, 'qc')
  }
}

/**
 * A QC carries each signer's vote. A validator that sent us a vote for another block in the same view (a
 * double voter that showed each half of the network a different vote) is caught here: its vote inside the
 * (verified) QC and the vote it sent us are evidence together.
 */
function detectVotesConflictingWith(context: StepContext, qc: QuorumCertificate): void {
  const votes = context.state.votes.get(qc.view)
  if (votes === undefined) return
  qc.signers.forEach((voter, i) => {
    const earlier = votes.get(voter)
    if (earlier === undefined || bytesEqual(earlier.blockHash, qc.blockHash)) return
    const second = { view: qc.view, blockHash: qc.blockHash, voter, signature: qc.signatures[i]! }
    recordEvidence(context, { kind: 'double-vote', view: qc.view, first: earlier, second }, voter)
  })
}

/** Lock and commit rules for a certified block that is in the tree. Idempotent. */
export function applyChainRules(context: StepContext, certified: TreeEntry, qc: QuorumCertificate): void {
  const { safety } = context.state
  // A QC for B whose justify certifies B1 locks on B1's view (the three-chain rule's lock; the two-chain rule
  // votes by the TC instead, and keeps it only as a figure in consensus_state).
  const lockView = certified.block.header.justify.view
  if (lockView > safety.preferredView) context.update({ safety: { ...safety, preferredView: lockView } })

  // The commit rule: the certified block and its ancestors in consecutive views (two or three of them) commit
  // the lowest (commit-rule.ts).
  const commitHeight = heightCommittedByQCFor(certified, context.state.config.params.commitRule)
  const root = context.state.tree.get(context.state.rootHashHex)!
  if (commitHeight <= root.block.header.height) return
  const path = pathToRoot(context.state.tree, certified.hashHex, context.state.rootHashHex)
  if (path === undefined) {
    throw new SafetyViolationError(
      `certified block ${certified.hashHex} at height ${certified.block.header.height} does not extend the committed root ${context.state.rootHashHex}`,
    )
  }
  commitPath(context, path, qc, commitHeight)
}

/** Commits every block of `path` (highest first, ending just above the root) up to `commitHeight`. */
function commitPath(
  context: StepContext,
  path: readonly TreeEntry[],
  qc: QuorumCertificate,
  commitHeight: number,
) {
  const blocks: CommittedBlock[] = []
  // Walk from the lowest block up; each block's certificate is its child's justify (the top one's is `qc`).
  for (let i = path.length - 1; i >= 0; i--) {
    const entry = path[i]!
    if (entry.block.header.height > commitHeight) break
    const child = path[i - 1]
    blocks.push({
      block: entry.block,
      hash: entry.hash,
      qc: child === undefined ? qc : child.block.header.justify,
    })
  }
  const newRoot = blocks[blocks.length - 1]!
  const newRootHex = toHex(newRoot.hash)
  context.update({
    tree: pruneTree(context.state.tree, newRootHex),
    rootHashHex: newRootHex,
    committingHeight: newRoot.block.header.height,
  })
  pruneToViewWindow(context)
  context.emit({ kind: 'commit', blocks })
}

/** The highest of the high-QC views a TC's signers signed in their timeouts. */
export function highestQCViewIn(tc: TimeoutCertificate): number {
  return Math.max(0, ...tc.highQCViews)
}

/** Applies a (verified) TC: the view it names ended by timeout, so move past it and remember it for our proposal. */
export function processTC(context: StepContext, tc: TimeoutCertificate): void {
  if (tc.view + 1 <= context.state.view) return
  context.update({ lastViewTC: tc, viewsWithoutQC: context.state.viewsWithoutQC + 1 })
  // Kept across restarts: a replica still timing out in tc.view after we restart needs it relayed.
  context.emit({ kind: 'persist-tc', tc })
  enterView(context, tc.view + 1, 'tc')
}
