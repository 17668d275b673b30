import { describe, expect, it } from 'vitest'
import { taggedHash } from '../../crypto/index.js'
import { blockHash } from '../../ledger/hashing.js'
import { ConsensusFixture, commitsIn, votesIn } from '../support/consensus-fixture.js'

describe('consensus core rules', () => {
  it('commits B0 only on a QC for B2 where B0, B1, B2 have consecutive views, ancestors first', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
    const b2 = fx.child(b1, 2, fx.qcFor(b1))
    // b3 skips view 3 (it carries TC(3)), so b1, b2, b3 are not consecutive.
    const b3 = fx.child(b2, 4, fx.qcFor(b2))
    expect(commitsIn(fx.propose(b1))).toEqual([])
    expect(commitsIn(fx.propose(b2))).toEqual([])
    expect(commitsIn(fx.propose(b3, fx.tcFor(3, 2)))).toEqual([])
    const b4 = fx.child(b3, 5, fx.qcFor(b3))
    // QC(b3) certifies b3 whose parent b2 (view 2) is not view 3: still no commit.
    expect(commitsIn(fx.propose(b4))).toEqual([])
    const b5 = fx.child(b4, 6, fx.qcFor(b4))
    expect(commitsIn(fx.propose(b5))).toEqual([])
    // QC(b5) over b3 (4), b4 (5), b5 (6): commits b3 and its uncommitted ancestors b1, b2, in height order.
    const b6 = fx.child(b5, 7, fx.qcFor(b5))
    const actions = fx.propose(b6)
    expect(commitsIn(actions)).toEqual([1, 2, 3])
    const commit = actions.find((a) => a.kind === 'commit')!
    if (commit.kind !== 'commit') throw new Error('unreachable')
    // Each committed block carries the QC that certifies it.
    for (const committed of commit.blocks) {
      expect(committed.qc.blockHash).toEqual(blockHash(committed.block.header))
    }
  })

  it('locks on the grandparent-by-QC and refuses to vote for a fork below the lock', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
    const b2 = fx.child(b1, 2, fx.qcFor(b1))
    const b3 = fx.child(b2, 3, fx.qcFor(b2))
    fx.propose(b1)
    fx.propose(b2)
    fx.propose(b3)
    // b3's justify certifies b2, whose justify certifies b1: the lock is view(b1) = 1.
    expect(fx.state.safety.preferredView).toBe(1)
    // A fork in view 5 (after TC(4)) that extends only genesis (justify view 0 < lock 1): no vote.
    const fork = fx.child(fx.genesis, 5, fx.genesisQC)
    expect(votesIn(fx.propose(fork, fx.tcFor(4, 0)))).toEqual([])
    // A block in view 6 (after TC(5)) that extends b3 (justify view 3 ≥ lock): vote, once the commit of b1 that
    // its ancestry implies has executed and its state root is the one after b1.
    const afterB1 = taggedHash('fixture/state', new Uint8Array([1]))
    const extension = fx.child(b3, 6, fx.qcFor(b3), afterB1)
    expect(votesIn(fx.propose(extension, fx.tcFor(5, 3)))).toEqual([])
    expect(votesIn(fx.input({ kind: 'executed', height: 1, stateRoot: afterB1 }))).toEqual([6])
  })

  it('votes at most once per view and records a second proposal as evidence', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const first = fx.child(fx.genesis, 1, fx.genesisQC)
    const second = { ...first, header: { ...first.header, timestampMs: 99 } }
    expect(votesIn(fx.propose(first))).toEqual([1])
    const actions = fx.propose(second)
    expect(votesIn(actions)).toEqual([])
    expect(actions.some((a) => a.kind === 'record-evidence' && a.evidence.kind === 'double-proposal')).toBe(
      true,
    )
  })

  it('catches a double voter by the vote inside a QC that conflicts with the vote it sent us', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
    const other = { ...b1, header: { ...b1.header, timestampMs: 77 } }
    // Validator 1 sends us a vote for `other`, and signs a vote for b1 that ends up in QC(b1).
    const sent = fx.qcFor(other, [1])
    fx.input({
      kind: 'vote',
      vote: { view: 1, blockHash: sent.blockHash, voter: 1, signature: sent.signatures[0]! },
    })
    const actions = fx.propose(fx.child(b1, 2, fx.qcFor(b1)))
    const evidence = actions.flatMap((a) => (a.kind === 'record-evidence' ? [a.evidence] : []))
    expect(evidence).toHaveLength(1)
    expect(evidence[0]!.kind).toBe('double-vote')
    if (evidence[0]!.kind !== 'double-vote') throw new Error('unreachable')
    expect(evidence[0]!.first.voter).toBe(1)
    expect(evidence[0]!.second.voter).toBe(1)
    expect(evidence[0]!.second.blockHash).toEqual(blockHash(b1.header))
  })

  it('persists the safety state before any vote or timeout it covers, and never votes after timing out', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
    const b2 = fx.child(b1, 2, fx.qcFor(b1))

    // View 1 times out before its proposal arrives: the timeout is on disk before it is sent.
    const timeoutActions = fx.input({ kind: 'timer', view: 1, pendingTxs: true })
    const persisted = timeoutActions.findIndex((a) => a.kind === 'persist-safety')
    const sent = timeoutActions.findIndex((a) => a.kind === 'broadcast' && a.message.kind === 'timeout')
    expect(persisted).toBeGreaterThanOrEqual(0)
    expect(persisted).toBeLessThan(sent)
    expect(fx.state.safety.lastVotedView).toBe(1)
    // The late proposal for view 1 gets no vote; a repeated timer re-sends the same timeout, unsigned anew.
    expect(votesIn(fx.propose(b1))).toEqual([])
    const again = fx.input({ kind: 'timer', view: 1, pendingTxs: true })
    expect(again.some((a) => a.kind === 'persist-safety')).toBe(false)
    expect(again.some((a) => a.kind === 'broadcast' && a.message.kind === 'timeout')).toBe(true)

    // The next view's proposal is voted for, and that vote too is persisted first.
    const voteActions = fx.propose(b2)
    expect(votesIn(voteActions)).toEqual([2])
    const persistAt = voteActions.findIndex((a) => a.kind === 'persist-safety')
    const voteAt = voteActions.findIndex((a) => a.kind === 'broadcast' && a.message.kind === 'vote')
    expect(persistAt).toBeGreaterThanOrEqual(0)
    expect(persistAt).toBeLessThan(voteAt)
  })

  it('backs off the view timeout exponentially while views end without a QC, up to the cap', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const delays: number[] = []
    for (let view = 1; view <= 6; view++) {
      const actions = fx.propose(fx.child(fx.genesis, view + 1, fx.genesisQC), fx.tcFor(view, 0))
      const timer = actions.find((a) => a.kind === 'schedule-timer')
      if (timer?.kind === 'schedule-timer') delays.push(timer.delayMs)
    }
    expect(delays).toEqual([2_000, 4_000, 8_000, 8_000, 8_000, 8_000])
  })
})
