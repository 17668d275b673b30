// One peer's messages must not turn into block fetches towards every peer (the fetcher asks all of them, and
// honest servers penalise a flood): committed history is never fetched, a timeout's QC is looked at once per
// (view, sender), and only certified hashes are ever requested. The TC relay is bounded the same way.

import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { blockHash } from '../../ledger/hashing.js'
import { futureViewWindow } from '../../ledger/limits.js'
import { ConsensusFixture } from '../support/consensus-fixture.js'
import {
  certify,
  deliver,
  fetchesIn,
  proposalMessage,
  proposeChain,
  receivedAtMs,
  tcSendsIn,
  timeoutMessage,
  variant,
} from './peer-messages.js'

/** Replica 3 after an honest chain in views 1..6: b1..b3 committed, the root is b3 (view 3), the view is 6. */
function replicaWithCommittedHistory() {
  const fx = new ConsensusFixture(3)
  fx.input({ kind: 'start', nowMs: 0 })
  const chain = proposeChain(fx, fx.genesis, [1, 2, 3, 4, 5, 6])
  expect(fx.state.tree.get(fx.state.rootHashHex)!.block.header.view).toBe(3)
  expect(fx.state.view).toBe(6)
  return { fx, chain }
}

describe('fetch amplification through the core', () => {
  it('a burst of timeouts replaying QCs of committed history fetches nothing', () => {
    const { fx, chain } = replicaWithCommittedHistory()
    const [b1, b2] = chain
    const actions = []
    // Validator 0 times out in every view it may (left, current, future window), replaying QC(b1) and QC(b2).
    for (let view = 3; view <= 22; view++) {
      for (const old of [b1!, b2!]) actions.push(...deliver(fx, timeoutMessage(fx, 0, view, fx.qcFor(old))))
    }
    expect(fetchesIn(actions)).toEqual([])
    expect(fx.state.view).toBe(6)
  })

  it("a timeout's QC is processed once per (view, sender): repeating it fetches nothing more", () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    // A certified block of view 1 that never reached us: one fetch is right, it is above the root.
    const unseen = fx.child(fx.genesis, 1, fx.genesisQC)
    const message = timeoutMessage(fx, 0, 2, fx.qcFor(unseen))
    const actions = []
    for (let i = 0; i < 20; i++) actions.push(...deliver(fx, message))
    expect(fetchesIn(actions)).toEqual([toHex(blockHash(unseen.header))])
    expect(fx.state.view).toBe(2)
    expect(fx.state.timeouts.get(2)?.size).toBe(1)
  })

  it('a timeout for a view we left uses its QC only if it raises ours', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    deliver(fx, { kind: 'timeout-certificate', tc: fx.tcFor(9, 0) })
    expect(fx.state.view).toBe(10)
    // Certified blocks of views 5, 7 and 8 that never reached us (each above the root).
    const [u5, u7, u8] = [5, 7, 8].map((view) =>
      variant(fx.child(fx.genesis, view, fx.genesisQC), 100 + view),
    )
    const actions = deliver(fx, timeoutMessage(fx, 0, 10, fx.qcFor(u7!)))
    // Timeouts of the views we left (6..9), replaying QC(u7) or the lower QC(u5): nothing to learn from them.
    for (const sender of [1, 2]) {
      for (let view = 8; view <= 9; view++)
        actions.push(...deliver(fx, timeoutMessage(fx, sender, view, fx.qcFor(u7!))))
      for (let view = 6; view <= 9; view++)
        actions.push(...deliver(fx, timeoutMessage(fx, sender, view, fx.qcFor(u5!))))
    }
    expect(fx.state.safety.highQC.view).toBe(7)
    // A left view's timeout with a higher QC still counts.
    actions.push(...deliver(fx, timeoutMessage(fx, 1, 9, fx.qcFor(u8!))))
    expect(fx.state.safety.highQC.view).toBe(8)
    expect(fetchesIn(actions)).toEqual([u7!, u8!].map((block) => toHex(blockHash(block.header))))
  })

  it('timeouts in the window carrying a QC below our highQC fetch nothing', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    deliver(fx, { kind: 'timeout-certificate', tc: fx.tcFor(9, 0) })
    const [u7, u8] = [7, 8].map((view) => variant(fx.child(fx.genesis, view, fx.genesisQC), 100 + view))
    const actions = deliver(fx, timeoutMessage(fx, 0, 10, fx.qcFor(u8!)))
    // Validator 1 times out in every later view of the window (alone: nobody joins it), each time with the
    // stale QC(u7), above the root but below our highQC.
    for (let view = 11; view <= 10 + futureViewWindow; view++) {
      actions.push(...deliver(fx, timeoutMessage(fx, 1, view, fx.qcFor(u7!))))
    }
    expect(fetchesIn(actions)).toEqual([toHex(blockHash(u8!.header))])
    expect(fx.state.view).toBe(10)
  })

  it('a timeout spammer gets our TC once per timer period of ours, not once per message', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    deliver(fx, { kind: 'timeout-certificate', tc: fx.tcFor(5, 0) })
    expect(fx.state.view).toBe(6)
    const stuckIn5 = (sender: number) => tcSendsIn(deliver(fx, timeoutMessage(fx, sender, 5, fx.genesisQC)))
    const sends = []
    for (let i = 0; i < 10; i++) sends.push(...stuckIn5(1))
    // Another sender still stuck in view 5 gets it too, once.
    for (let i = 0; i < 3; i++) sends.push(...stuckIn5(2))
    expect(sends).toEqual([
      { to: 1, view: 5 },
      { to: 2, view: 5 },
    ])
    // Our timer for view 6 fires: a relay may have been lost, so each may get it once more.
    fx.input({ kind: 'timer', view: 6, pendingTxs: true })
    const again = []
    for (let i = 0; i < 10; i++) again.push(...stuckIn5(1))
    expect(again).toEqual([{ to: 1, view: 5 }])
  })

  it('a proposal whose parent is not the block its justify certifies fetches nothing and waits for nothing', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    // Leader 1 names an arbitrary parent hash (a block only it has) with the genesis QC as justify.
    const planted = variant(fx.child(fx.genesis, 1, fx.genesisQC), 42)
    const forged = fx.child(planted, 1, fx.genesisQC)
    const actions = deliver(fx, proposalMessage(fx, forged))
    expect(fetchesIn(actions)).toEqual([])
    expect(fx.state.pendingProposals.size).toBe(0)
  })

  it('repeating a proposal that waits for its parent fetches the parent once', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const parent = fx.child(fx.genesis, 1, fx.genesisQC)
    const waiting = fx.child(parent, 2, fx.qcFor(parent))
    const message = proposalMessage(fx, waiting)
    const actions = []
    for (let i = 0; i < 10; i++) actions.push(...deliver(fx, message))
    expect(fetchesIn(actions)).toEqual([toHex(blockHash(parent.header))])
    expect(fx.state.pendingProposals.size).toBe(1)
  })

  it("a fetched block whose parent is certified at or below the root's view does not fetch that parent", () => {
    const { fx } = replicaWithCommittedHistory()
    // A fork of views 1..3 that lost (its blocks are not ours), and a block of view 7 on top of it at height 4:
    // above our root's height, but its parent is certified in view 3 = the root's view.
    const f1 = variant(fx.child(fx.genesis, 1, fx.genesisQC), 500)
    const f2 = fx.child(f1, 2, fx.qcFor(f1))
    const f3 = fx.child(f2, 3, fx.qcFor(f2))
    const onFork = fx.child(f3, 7, certify(fx, f3))
    const actions = fx.input({ kind: 'block-fetched', block: onFork, nowMs: receivedAtMs })
    expect(fetchesIn(actions)).toEqual([])
    expect(fx.state.tree.has(toHex(blockHash(onFork.header)))).toBe(false)
  })
})
