// Leader election with reputation (node/consensus/leader-election.ts) on hand-made and random chains: round
// robin while everyone is active, after a failed view and in probation rotations; an inactive validator's view
// (no block in the window) passed to the next active one; an active validator never losing its own view; the
// stateless candidate bound; and the root rebuilt from the stored chain after a restart equal to the one
// computed block by block.
// Seeded (QUORATE_SEED overrides); fast-check prints any counterexample's seed.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { blockHash, txRoot } from '../../ledger/hashing.js'
import { quorumSize } from '../../ledger/quorum.js'
import type { Block, Hash } from '../../ledger/types.js'
import { childEntry, rootEntryFromChain } from '../../node/consensus/block-tree.js'
import {
  activityWindowViews,
  electedLeader,
  genesisActivity,
  mayLead,
  noActivity,
  probationEveryRotations,
  roundRobinLeader,
} from '../../node/consensus/leader-election.js'
import type { TreeEntry } from '../../node/consensus/types.js'
import { propertyParameters } from '../support/arbitraries.js'

const zeroHash = new Uint8Array(32)
const zeroSignature = new Uint8Array(64)

function genesisEntry(validatorCount: number): TreeEntry {
  const block: Block = {
    header: {
      height: 0,
      view: 0,
      parentHash: zeroHash,
      justify: { view: 0, blockHash: zeroHash, signers: [], signatures: [] },
      proposer: 0,
      timestampMs: 0,
      txRoot: txRoot([]),
      stateRoot: zeroHash,
    },
    txs: [],
  }
  const hash = blockHash(block.header)
  return {
    block,
    hash,
    hashHex: toHex(hash),
    parentView: 0,
    grandparentView: 0,
    impliedCommitHeight: 0,
    lastActiveViews: genesisActivity(validatorCount),
    lastFailedViews: noActivity(validatorCount),
  }
}

/** A child of `parent` in `view` by `proposer`, whose justify (for the parent) `signers` signed. */
function extend(parent: TreeEntry, view: number, proposer: number, signers: readonly number[]): TreeEntry {
  const header = parent.block.header
  const block: Block = {
    header: {
      height: header.height + 1,
      view,
      parentHash: parent.hash,
      // Election reads only who signed, so the signatures are placeholders (hashing needs one per signer).
      justify: {
        view: header.view,
        blockHash: parent.hash,
        signers,
        signatures: signers.map(() => zeroSignature),
      },
      proposer,
      timestampMs: header.timestampMs + 1,
      txRoot: txRoot([]),
      stateRoot: zeroHash,
    },
    txs: [],
  }
  return childEntry(parent, block, blockHash(block.header) as Hash, 'two-chain')
}

/**
 * `count` blocks, each by its elected leader, each justify signed by `voters`. A view whose leader is not a
 * voter (crashed) fails: the next view extends the same parent. `failedViews` collects those views.
 */
function happyChain(
  parent: TreeEntry,
  count: number,
  voters: readonly number[],
  failedViews: number[] = [],
): TreeEntry[] {
  const chain: TreeEntry[] = []
  let tip = parent
  let view = tip.block.header.view
  while (chain.length < count) {
    view++
    const leader = electedLeader(view, tip)
    if (!voters.includes(leader)) {
      failedViews.push(view)
      continue
    }
    tip = extend(tip, view, leader, voters)
    chain.push(tip)
  }
  return chain
}

describe('leader election', () => {
  it('is round robin while every validator is active', () => {
    const tip = happyChain(genesisEntry(4), 12, [0, 1, 2, 3]).at(-1)!
    const next = tip.block.header.view + 1
    expect(electedLeader(next, tip)).toBe(roundRobinLeader(next, 4))
  })

  it('gives every validator its own views from genesis on (validator 0 too, whose first view comes last)', () => {
    const chain = happyChain(genesisEntry(4), 40, [0, 1, 2, 3])
    for (const entry of chain.slice(1)) {
      expect(entry.block.header.proposer, `view ${entry.block.header.view}`).toBe(entry.block.header.view % 4)
    }
  })

  it('passes a silent validator over once it has no activity in the window, and gives others their own views', () => {
    // Validator 3 never proposes: its views go to validator 0, every other view stays round robin.
    const chain = happyChain(genesisEntry(4), 40, [0, 1, 2])
    const leaders = chain.map((entry) => [entry.block.header.view, entry.block.header.proposer])
    for (const [view, proposer] of leaders.slice(2)) {
      expect(proposer).toBe(view! % 4 === 3 ? 0 : view! % 4)
    }
  })

  it('passes a crashed validator over from its first failed view on', () => {
    const n = 4
    const active = happyChain(genesisEntry(n), 20, [0, 1, 2, 3])
    const crashedAt = active.at(-1)!.block.header.view
    const failedViews: number[] = []
    const after = happyChain(active.at(-1)!, 60, [0, 1, 2], failedViews)
    // Its next own view fails (one view timeout); from then on its views go to validator 0.
    expect(failedViews).toHaveLength(1)
    expect(failedViews[0]! % n).toBe(3)
    expect(failedViews[0]!).toBeLessThanOrEqual(crashedAt + n)
    expect(after.every((entry) => entry.block.header.proposer !== 3)).toBe(true)
    const later = after.filter((entry) => entry.block.header.view > failedViews[0]!)
    const itsViews = later.filter((entry) => entry.block.header.view % n === 3)
    expect(itsViews.length).toBeGreaterThan(0)
    expect(itsViews.every((entry) => entry.block.header.proposer === 0)).toBe(true)
  })

  it('gives an inactive validator its own view again in a probation rotation', () => {
    const n = 4
    const failedViews: number[] = []
    // Validator 3 is down from the start; run past the first probation rotation after genesis.
    const rotationViews = probationEveryRotations * n
    const chain = happyChain(genesisEntry(n), rotationViews + 2 * n, [0, 1, 2], failedViews)
    expect(chain.at(-1)!.block.header.view).toBeGreaterThan(rotationViews + n)
    // Its view 3 at the start (round robin while fewer than a quorum have blocks), then one in the probation
    // rotation: view rotationViews + 3.
    expect(failedViews).toEqual([3, rotationViews + 3])
  })

  it('is round robin after a failed view, whoever is inactive', () => {
    const tip = happyChain(genesisEntry(4), 20, [0, 1, 2]).at(-1)!
    const view = tip.block.header.view
    // View + 1 failed: later views extend the same parent, and round robin names validator 3 in its views
    // even though it is inactive (replicas that hold different QCs after a failure must agree).
    expect([2, 3, 4, 5].map((skipped) => electedLeader(view + skipped, tip))).toContain(3)
    for (let skipped = 2; skipped < 10; skipped++)
      expect(electedLeader(view + skipped, tip)).toBe(roundRobinLeader(view + skipped, 4))
  })

  it('is round robin while fewer than a quorum are active (after a long outage)', () => {
    // Views 1–8 failed, so genesis (view 0) is out of the window by view 9: only the proposers of views 9
    // and 10 are active, two of four, fewer than a quorum.
    const genesis = genesisEntry(4)
    const tip = extend(extend(genesis, 9, 1, [1, 2, 3]), 10, 2, [1, 2, 3])
    expect(tip.lastActiveViews).toEqual([-1, 9, 10, -1])
    // Validator 3 is inactive, yet it leads its own view 11: with a quorum active it would be passed over.
    expect(electedLeader(11, tip)).toBe(3)
    // With its block, three are active: now inactive validator 0's view 12 goes to the next active one.
    expect(electedLeader(12, extend(tip, 11, 3, [1, 2, 3]))).toBe(1)
  })

  it('never elects beyond the round-robin leader and the f after it, and never an inactive validator', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 13 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 1,
          maxLength: 60,
        }),
        (n, steps) => {
          let tip = genesisEntry(n)
          for (const [viewStep, voterShare] of steps) {
            const view = tip.block.header.view + viewStep
            const leader = electedLeader(view, tip)
            expect(mayLead(view, leader, n)).toBe(true)
            if (view === tip.block.header.view + 1 && leader !== roundRobinLeader(view, n)) {
              const since = Math.max(0, tip.block.header.view - activityWindowViews(n))
              const active = (k: number) =>
                tip.lastActiveViews[k]! >= since && tip.lastFailedViews[k]! <= tip.lastActiveViews[k]!
              expect(active(leader)).toBe(true)
              // Every validator it passed over was inactive.
              for (let k = roundRobinLeader(view, n); k !== leader; k = (k + 1) % n)
                expect(active(k)).toBe(false)
            }
            const voterCount = Math.max(quorumSize(n), Math.round(voterShare * n))
            const voters = Array.from({ length: voterCount }, (_, i) => (leader + i) % n).sort(
              (a, b) => a - b,
            )
            tip = extend(tip, view, leader, voters)
          }
        },
      ),
      propertyParameters(200),
    )
  })

  it('rebuilds the same activity from the stored chain as block by block', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 4 }), fc.array(fc.boolean(), { minLength: 10, maxLength: 10 })),
          {
            minLength: 1,
            maxLength: 80,
          },
        ),
        (n, steps) => {
          const chain: TreeEntry[] = [genesisEntry(n)]
          for (const [viewStep, votes] of steps) {
            const tip = chain.at(-1)!
            const view = tip.block.header.view + viewStep
            const voters = votes.slice(0, n).flatMap((voted, validator) => (voted ? [validator] : []))
            chain.push(extend(tip, view, electedLeader(view, tip), voters))
          }
          const head = chain.length - 1
          const shape = { validatorCount: n, commitRule: 'two-chain' } as const
          const rebuilt = rootEntryFromChain(head, shape, (height) => chain[height]!.block)
          expect(rebuilt.impliedCommitHeight).toBe(chain[head]!.impliedCommitHeight)
          expect(rebuilt.lastActiveViews).toEqual(chain[head]!.lastActiveViews)
          expect(rebuilt.lastFailedViews).toEqual(chain[head]!.lastFailedViews)
        },
      ),
      propertyParameters(200),
    )
  })
})
