// A leader can sign proposals for every old view it led. None of the core's per-view structures (first proposal
// per view, pending proposals, evidence keys, block tree) may grow with them: each is bounded by the view window
// (proposalPastViewWindow below the current view, futureViewWindow above it), and an honest leader's pending
// proposal can never be evicted by another leader's spam.

import { describe, expect, it } from 'vitest'
import { futureViewWindow, proposalPastViewWindow } from '../../ledger/limits.js'
import type { Block } from '../../ledger/types.js'
import type { ConsensusAction, ConsensusState } from '../../node/consensus/index.js'
import { ConsensusFixture, votesIn } from '../support/consensus-fixture.js'
import {
  deliver,
  evidenceIn,
  fetchesIn,
  proposalMessage,
  receivedAtMs,
  variant,
  verifierFor,
} from './peer-messages.js'

/** Views a per-view structure may hold: the past window, the current view, the future window. */
const windowViewCount = proposalPastViewWindow + 1 + futureViewWindow

/** Validator 2 is Byzantine; it leads the views ≡ 2 (mod 4). */
const byzantine = 2
const byzantineViews = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((view) => view % 4 === byzantine)

function evidenceKeyCount(state: ConsensusState): number {
  let count = 0
  for (const keys of state.evidenceKeys.values()) count += keys.size
  return count
}

/** Replica 3, moved to `view` by TC(view − 1): no QC since genesis, so every old view is above the root. */
function replicaAtView(view: number): ConsensusFixture {
  const fx = new ConsensusFixture(3)
  fx.input({ kind: 'start', nowMs: 0 })
  deliver(fx, { kind: 'timeout-certificate', tc: fx.tcFor(view - 1, 0) })
  expect(fx.state.view).toBe(view)
  return fx
}

/**
 * Two conflicting proposals by the Byzantine leader for `view`, each extending a certified block it alone has
 * (so each would wait for a fetched parent). The parent's view is below `parentViewMax`, so the certificates
 * never move the replica's view.
 */
function spamPair(fx: ConsensusFixture, view: number, parentViewMax: number): Block[] {
  const parent = variant(fx.child(fx.genesis, Math.min(view - 1, parentViewMax), fx.genesisQC), view)
  const first = fx.child(parent, view, fx.qcFor(parent))
  return [first, variant(first, first.header.timestampMs + 1)]
}

describe('old-view spam', () => {
  it("neither evicts an honest pending proposal nor grows the core's per-view structures", () => {
    const view = 2_100
    const fx = replicaAtView(view)
    // The honest leader of this view (validator 0) proposes on a block we have not seen: it waits for it.
    const parent = fx.child(fx.genesis, 2_096, fx.genesisQC)
    const honest = fx.child(parent, view, fx.qcFor(parent))
    deliver(fx, proposalMessage(fx, honest, fx.tcFor(view - 1, 0)))
    expect(fx.state.pendingProposals.has(`${view}/0`)).toBe(true)

    // The Byzantine leader: two proposals for every view it ever led, and for those of the future window.
    const actions: ConsensusAction[] = []
    for (const spamView of byzantineViews(2, view)) {
      for (const block of spamPair(fx, spamView, view - 1))
        actions.push(...deliver(fx, proposalMessage(fx, block)))
    }
    // Future views need the TC of the view before (their parents are older), which only a quorum can make.
    const verifier = verifierFor(fx)
    for (const spamView of byzantineViews(view + 1, view + futureViewWindow)) {
      for (const block of spamPair(fx, spamView, view - 1))
        expect(verifier.verifyMessage(proposalMessage(fx, block))).toEqual({
          ok: false,
          reason: 'invalid-tc',
        })
    }
    expect(fx.state.view).toBe(view)

    // Only the Byzantine views inside the window count: one first proposal, one pending, one evidence key each.
    const inWindow = byzantineViews(view - proposalPastViewWindow, view)
    expect(evidenceIn(actions)).toEqual(inWindow.map((each) => `double-proposal@${each}`))
    expect(fetchesIn(actions)).toHaveLength(inWindow.length)
    const viewsOf = (proposals: Iterable<{ readonly block: Block }>) =>
      [...proposals].map(({ block }) => block.header.view).sort((a, b) => a - b)
    expect(viewsOf(fx.state.proposals.values())).toEqual([view, ...inWindow].sort((a, b) => a - b))
    expect(viewsOf([...fx.state.pendingProposals.values()].map(({ proposal }) => proposal))).toEqual(
      [view, ...inWindow].sort((a, b) => a - b),
    )
    expect(evidenceKeyCount(fx.state)).toBe(inWindow.length)
    expect(fx.state.tree.size).toBe(1)
    for (const size of [
      fx.state.proposals.size,
      fx.state.pendingProposals.size,
      fx.state.evidenceKeys.size,
    ]) {
      expect(size).toBeLessThanOrEqual(windowViewCount)
    }

    // The honest proposal still waits, and gets its vote once its parent arrives.
    const fetched = fx.input({ kind: 'block-fetched', block: parent, nowMs: receivedAtMs })
    expect(votesIn(fetched)).toEqual([view])
  })

  it('old-view proposals on blocks we have do not fill the block tree', () => {
    const view = 100
    const fx = replicaAtView(view)
    const actions: ConsensusAction[] = []
    // Children of genesis (the root) with the genesis QC: valid blocks for every old view the leader led.
    for (const spamView of byzantineViews(2, view - proposalPastViewWindow - 1)) {
      const block = fx.child(fx.genesis, spamView, fx.genesisQC)
      const tc = fx.tcFor(spamView - 1, 0)
      actions.push(...deliver(fx, proposalMessage(fx, block, tc)))
      actions.push(...deliver(fx, proposalMessage(fx, variant(block, 99), tc)))
    }
    expect(actions).toEqual([])
    expect(fx.state.tree.size).toBe(1)
    expect(fx.state.proposals.size).toBe(0)
    expect(evidenceKeyCount(fx.state)).toBe(0)
  })

  it('evidence keys, first and pending proposals are pruned with the window; each misbehaviour is recorded once', () => {
    const fx = replicaAtView(10)
    const recorded: string[] = []
    for (let view = 10; view < 400; view++) {
      if (view > fx.state.view) deliver(fx, { kind: 'timeout-certificate', tc: fx.tcFor(view - 1, 0) })
      if (view % 4 !== byzantine) continue
      // Each pair twice: the repeat is not recorded again.
      for (let i = 0; i < 2; i++) {
        for (const block of spamPair(fx, view, view - 1))
          recorded.push(...evidenceIn(deliver(fx, proposalMessage(fx, block))))
      }
      expect(evidenceKeyCount(fx.state)).toBeLessThanOrEqual(windowViewCount)
      expect(fx.state.evidenceKeys.size).toBeLessThanOrEqual(windowViewCount)
      expect(fx.state.proposals.size).toBeLessThanOrEqual(windowViewCount)
      expect(fx.state.pendingProposals.size).toBeLessThanOrEqual(windowViewCount)
    }
    expect(recorded).toEqual(byzantineViews(10, 399).map((each) => `double-proposal@${each}`))
    // Everything below the window is gone.
    const kept = [...fx.state.evidenceKeys.keys()]
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(fx.state.view - proposalPastViewWindow)
  })
})
