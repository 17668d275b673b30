// The state root is checked on every path before a vote: a block that entered the tree unchecked (fetched by
// hash, restored at boot) and is then proposed by its leader is checked then, and never voted for if wrong.

import { describe, expect, it } from 'vitest'
import { taggedHash } from '../../crypto/index.js'
import { ConsensusFixture, votesIn } from '../support/consensus-fixture.js'
import {
  deliver,
  executeCommits,
  proposalMessage,
  proposeChain,
  receivedAtMs,
  stateRootAt,
} from './peer-messages.js'

const wrongRoot = taggedHash('fixture/state', new Uint8Array([0xee]))

describe('state-root check before every vote', () => {
  it('a block fetched with a wrong state root and then proposed by its leader gets no vote, ever', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const liar = fx.child(fx.genesis, 1, fx.genesisQC, wrongRoot)
    fx.input({ kind: 'block-fetched', block: liar, nowMs: receivedAtMs })
    expect(votesIn(deliver(fx, proposalMessage(fx, liar)))).toEqual([])
    // Nor on a second delivery.
    expect(votesIn(deliver(fx, proposalMessage(fx, liar)))).toEqual([])
    expect(fx.state.safety.lastVotedView).toBe(0)
  })

  it('a block fetched with the right state root and then proposed gets its vote', () => {
    const fx = new ConsensusFixture(3)
    fx.input({ kind: 'start', nowMs: 0 })
    const honest = fx.child(fx.genesis, 1, fx.genesisQC, stateRootAt(fx, 0))
    fx.input({ kind: 'block-fetched', block: honest, nowMs: receivedAtMs })
    expect(votesIn(deliver(fx, proposalMessage(fx, honest)))).toEqual([1])
  })

  it('a fetched block whose implied commit has not executed yet waits, then is judged by its state root', () => {
    const cases = [
      { label: 'wrong root (after height 2)', rootHeight: 2, expectedVotes: [] },
      { label: 'right root (after height 1)', rootHeight: 1, expectedVotes: [4] },
    ]
    for (const { label, rootHeight, expectedVotes } of cases) {
      const fx = new ConsensusFixture(3)
      fx.input({ kind: 'start', nowMs: 0 })
      const [, , b3] = proposeChain(fx, fx.genesis, [1, 2, 3])
      // b4's justify (QC(b3)) commits b1: its header must carry the root after height 1.
      const b4 = fx.child(b3!, 4, fx.qcFor(b3!), stateRootAt(fx, rootHeight))
      // Fetched before the proposal arrives; the commit of b1 it implies is not executed yet.
      const fetched = fx.input({ kind: 'block-fetched', block: b4, nowMs: receivedAtMs })
      expect(fx.state.executedHeight, label).toBe(0)
      // The proposal waits for that execution instead of being voted for as "already in the tree".
      const proposed = fx.input({ kind: 'proposal', proposal: fx.proposal(b4), nowMs: receivedAtMs })
      expect(votesIn(proposed), label).toEqual([])
      const afterExecution = executeCommits(fx, [...fetched, ...proposed])
      expect(votesIn(afterExecution), label).toEqual(expectedVotes)
    }
  })
})
