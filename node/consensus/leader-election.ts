import { toHex } from '../../crypto/hex.js'
import { quorumSize } from '../../ledger/quorum.js'
import type { BlockHeader, Hash } from '../../ledger/types.js'
import type { ConsensusState, TreeEntry } from './types.js'

/**
 * Leader election with reputation (docs/protocol.md, "Leader election"). Round robin, except that a view whose
 * round-robin leader has no block in the recent chain goes to the next validator that has one: a crashed
 * validator, or a Byzantine one that votes but never gets a block certified, stops costing a view timeout
 * every rotation. Every input comes from the chain that a proposal extends (its parent and the parent's
 * ancestors), so every replica that checks a proposal reaches the same answer, whatever it has seen or
 * committed itself.
 */

/** Round robin: validators[view mod n]. The leader of every view that follows a failed one. */
export function roundRobinLeader(view: number, validatorCount: number): number {
  return view % validatorCount
}

/**
 * How many views back the chain is searched for a validator's blocks: two rotations. An active validator
 * leads its own round-robin view once per rotation, so it has a block in every window unless two of its
 * views in a row failed; a crashed one loses its views within two rotations of its last block.
 */
export function activityWindowViews(validatorCount: number): number {
  return 2 * validatorCount
}

/**
 * One rotation in this many is a probation rotation: every validator leads its own round-robin view, active
 * or not, so one that was passed over (restarted, or slow for a while) gets a block into the chain again and
 * is back. A validator that stays down costs one view timeout per probation rotation: with n = 4, one in 512
 * views.
 */
export const probationEveryRotations = 128

/** No activity (or no failure) within the window. */
export function noActivity(validatorCount: number): number[] {
  return new Array<number>(validatorCount).fill(-1)
}

/**
 * What the genesis block records: every validator active in view 0. A validator whose first own view comes
 * after the first quorum of blocks must not be passed over for never having had a turn: with −1 here, validator
 * 0 (whose first view, n, follows blocks by 1 … n − 1) was passed over from genesis to the first probation
 * rotation, 128 rotations later, and its views went to validator 1. Like any activity it expires once the
 * chain's views pass activityWindowViews, by then each validator had its own views.
 */
export function genesisActivity(validatorCount: number): number[] {
  return new Array<number>(validatorCount).fill(0)
}

/**
 * Per validator, the view of its last block in the chain ending at `header`'s block. Only the block's own
 * proposer is credited: crediting it for what the next view did instead would blame it for its successor's
 * failure (and pass over the validator before every crashed one). Blocks older than the window (from this
 * block's view) read as none, so the result depends only on the last activityWindowViews of the chain: a root
 * rebuilt from the stored chain after a restart equals the one computed block by block.
 */
export function activityAfter(parentActivity: readonly number[], header: BlockHeader): number[] {
  const since = Math.max(0, header.view - activityWindowViews(parentActivity.length))
  return parentActivity.map((view, validator) => {
    const latest = validator === header.proposer ? Math.max(view, header.view) : view
    return latest >= since ? latest : -1
  })
}

/**
 * Per validator, the last of its own round-robin views that the chain ending at `header`'s block skipped (a
 * view that failed: the block's view is beyond its parent's + 1), if within the window. Blamed on the
 * round-robin owner even when an inactive owner's view was led by another: the owner was passed over anyway, and
 * the other is blamed at its own view. Like activity, it depends only on the window of the chain.
 */
export function failuresAfter(
  parentFailures: readonly number[],
  parentView: number,
  header: BlockHeader,
): number[] {
  const validatorCount = parentFailures.length
  const failures = [...parentFailures]
  // Every validator owns one view in any n consecutive ones: the last n skipped views hold each one's latest.
  for (let view = Math.max(parentView + 1, header.view - validatorCount); view < header.view; view++) {
    const owner = roundRobinLeader(view, validatorCount)
    failures[owner] = Math.max(failures[owner]!, view)
  }
  const since = Math.max(0, header.view - activityWindowViews(validatorCount))
  return failures.map((view) => (view >= since ? view : -1))
}

/**
 * Whether `proposer` can lead `view` over some parent: the round-robin leader or one of the n − quorum (= f)
 * validators after it, since a view passes only over inactive validators and at most n − quorum are inactive
 * when election is not round robin. A check that needs no chain, made before any signature.
 */
export function mayLead(view: number, proposer: number, validatorCount: number): boolean {
  const offset = (proposer - roundRobinLeader(view, validatorCount) + validatorCount) % validatorCount
  return proposer >= 0 && proposer < validatorCount && offset <= validatorCount - quorumSize(validatorCount)
}

/**
 * The validator that may propose in `view` a block extending `parent`.
 *
 * - If the parent's view is not `view − 1`, the previous view failed (the proposal carries its TC): round
 *   robin, so that replicas holding different highest QCs after a failure still agree on the leader.
 * - Else the round-robin leader if it is active (it has a block within activityWindowViews of the
 *   parent's view, in the parent's chain, and none of its own views was skipped since that block) or the
 *   rotation is a probation rotation. An inactive one's view goes to the
 *   next active validator in index order. Every active validator keeps its own views, so no one can take an
 *   active validator's turn.
 * - Round robin as well while fewer than a quorum are active (the chain's start, the first blocks after a long
 *   outage): a small active set must never concentrate the views on a few validators.
 */
export function electedLeader(view: number, parent: TreeEntry): number {
  const activity = parent.lastActiveViews
  const validatorCount = activity.length
  const roundRobin = roundRobinLeader(view, validatorCount)
  const parentView = parent.block.header.view
  if (view !== parentView + 1) return roundRobin
  if (Math.floor(view / validatorCount) % probationEveryRotations === 0) return roundRobin
  const since = Math.max(0, parentView - activityWindowViews(validatorCount))
  // A block in the window, and none of its own views skipped since: a crashed validator is passed over from
  // its first failed view on, not only once its last block is two rotations old.
  const failures = parent.lastFailedViews
  const isActive = (validator: number) =>
    activity[validator]! >= since && failures[validator]! <= activity[validator]!
  if (activity.filter((_, validator) => isActive(validator)).length < quorumSize(validatorCount))
    return roundRobin
  for (let offset = 0; offset < validatorCount; offset++) {
    const candidate = (roundRobin + offset) % validatorCount
    if (isActive(candidate)) return candidate
  }
  return roundRobin
}

/** The leader of `view` over the block `parentHash` by this replica's tree; undefined when the block is not in it. */
export function leaderOverBlock(state: ConsensusState, view: number, parentHash: Hash): number | undefined {
  const parent = state.tree.get(toHex(parentHash))
  return parent === undefined ? undefined : electedLeader(view, parent)
}

/** The leader this replica expects for `view`: over its highest QC's block, or round robin without it. */
export function expectedLeader(state: ConsensusState, view: number): number {
  return (
    leaderOverBlock(state, view, state.safety.highQC.blockHash) ??
    roundRobinLeader(view, state.config.validators.length)
  )
}

/**
 * The validator this replica is waiting on in its current view: the view's leader, until we have voted in the
 * view (then we wait for the votes of a quorum, not for one validator). Null when we wait on nobody: we voted,
 * we lead the view ourselves, or the view is idle (a quiescent chain with no work).
 */
export function awaitedLeader(state: ConsensusState): number | null {
  if (state.timerIdle || state.safety.lastVotedView >= state.view) return null
  const leader = expectedLeader(state, state.view)
  return leader === state.config.selfIndex ? null : leader
}
