import { futureViewWindow, proposalPastViewWindow } from '../../ledger/limits.js'
import type { StepContext } from './context.js'
import { filterMap } from './context.js'
import type { ConsensusState } from './types.js'

/** The committed root's view: nothing certified at or below it is voted on, kept or fetched again. */
export function rootViewOf(state: ConsensusState): number {
  return state.tree.get(state.rootHashHex)!.block.header.view
}

/**
 * The lowest view whose proposals (first per view, pending) and evidence keys the core keeps. With the upper
 * bound `view + futureViewWindow`, every per-view structure spans at most proposalPastViewWindow + 1 +
 * futureViewWindow views, whatever a peer sends.
 */
export function lowestKeptView(state: ConsensusState): number {
  return Math.max(state.view - proposalPastViewWindow, rootViewOf(state) + 1)
}

/**
 * Proposals are kept per view and proposer: the leader is known only once the parent is in the tree, so one
 * validator's proposal must not keep out another's. Only the round-robin leader and the f validators after it
 * can lead a view (leader-election.ts), so a view holds at most f + 1 of each.
 */
export function proposalKey(header: { readonly view: number; readonly proposer: number }): string {
  return `${header.view}/${header.proposer}`
}

export function isBeyondFutureWindow(state: ConsensusState, view: number): boolean {
  return view > state.view + futureViewWindow
}

/** Drops the per-view state that fell below the window (after a view change or a commit). */
export function pruneToViewWindow(context: StepContext): void {
  const lowest = lowestKeptView(context.state)
  const kept = (view: number) => view >= lowest
  const { proposals, pendingProposals, evidenceKeys } = context.state
  context.update({
    proposals: filterMap(proposals, (_, proposal) => kept(proposal.block.header.view)),
    pendingProposals: filterMap(pendingProposals, (_, { proposal }) => kept(proposal.block.header.view)),
    evidenceKeys: filterMap(evidenceKeys, kept),
  })
}
