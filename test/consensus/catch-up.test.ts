// A replica whose view fell far behind (partitioned while the others timed out view after view) rejoins from
// the verified certificates that messages beyond its future window carry, although it keeps none of those
// messages. A message beyond the window that carries no certificate (a vote) still changes nothing.

import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { sign } from '../../crypto/index.js'
import { blockHash, voteSigningBytes } from '../../ledger/hashing.js'
import { ConsensusFixture, votesIn } from '../support/consensus-fixture.js'
import { deliver, fetchesIn, proposalMessage, receivedAtMs, timeoutMessage } from './peer-messages.js'

function replicaAtViewOne(): ConsensusFixture {
  const fx = new ConsensusFixture(3)
  fx.input({ kind: 'start', nowMs: 0 })
  expect(fx.state.view).toBe(1)
  return fx
}

describe('a replica far behind catches up from verified certificates', () => {
  it('a proposal for view 200 with QC(199) moves a replica at view 1 to view 200, and it rejoins', () => {
    const fx = replicaAtViewOne()
    const b199 = fx.child(fx.genesis, 199, fx.genesisQC)
    const b200 = fx.child(b199, 200, fx.qcFor(b199))
    const actions = deliver(fx, proposalMessage(fx, b200))
    expect(fx.state.view).toBe(200)
    expect(fx.state.safety.highQC.view).toBe(199)
    // The certified block is unknown and above the root: fetched; the proposal waits for it, then gets a vote.
    expect(fetchesIn(actions)).toEqual([toHex(blockHash(b199.header))])
    expect(votesIn(fx.input({ kind: 'block-fetched', block: b199, nowMs: receivedAtMs }))).toEqual([200])
  })

  it("a proposal far ahead carrying the TC of the view before it moves the replica to the proposal's view", () => {
    const fx = replicaAtViewOne()
    const b300 = fx.child(fx.genesis, 300, fx.genesisQC)
    const actions = deliver(fx, proposalMessage(fx, b300, fx.tcFor(299, 0)))
    expect(fx.state.view).toBe(300)
    expect(votesIn(actions)).toEqual([300])
  })

  it('a timeout far ahead moves the replica to the view after its highQC, once however often it comes', () => {
    const fx = replicaAtViewOne()
    const b450 = fx.child(fx.genesis, 450, fx.genesisQC)
    const message = timeoutMessage(fx, 1, 500, fx.qcFor(b450))
    const actions = []
    for (let i = 0; i < 10; i++) actions.push(...deliver(fx, message))
    expect(fx.state.view).toBe(451)
    expect(fetchesIn(actions)).toEqual([toHex(blockHash(b450.header))])
    // Not kept: the timeout is beyond the window even from view 451.
    expect(fx.state.timeouts.size).toBe(0)
  })

  it('a vote far ahead changes nothing', () => {
    const fx = replicaAtViewOne()
    const b200 = fx.child(fx.genesis, 200, fx.genesisQC)
    const hash = blockHash(b200.header)
    const signature = sign(voteSigningBytes(fx.chainId, 200, hash), fx.secrets[0]!)
    const before = fx.state
    const actions = deliver(fx, { kind: 'vote', vote: { view: 200, blockHash: hash, voter: 0, signature } })
    expect(actions).toEqual([])
    expect(fx.state).toEqual(before)
  })
})
