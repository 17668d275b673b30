// The two-chain commit rule (Jolteon) in the core, on hand-made chains: what a QC commits, the voting rule
// after a TC, and a leader that enters by a TC whose high-QC claim it cannot meet (one signer lied).

import { describe, expect, it } from 'vitest'
import { sign, taggedHash } from '../../crypto/index.js'
import { timeoutSigningBytes } from '../../ledger/hashing.js'
import type { TimeoutCertificate } from '../../ledger/types.js'
import type { ConsensusAction } from '../../node/consensus/index.js'
import { ConsensusFixture, commitsIn, votesIn } from '../support/consensus-fixture.js'
import { timeoutMessage } from './peer-messages.js'

/** A TC for `view` in which each signer claims its own high-QC view. */
function tcWithClaims(
  fx: ConsensusFixture,
  view: number,
  claims: ReadonlyMap<number, number>,
): TimeoutCertificate {
  const signers = [...claims.keys()].sort((a, b) => a - b)
  return {
    view,
    signers,
    highQCViews: signers.map((signer) => claims.get(signer)!),
    signatures: signers.map((signer) =>
      sign(timeoutSigningBytes(fx.chainId, view, claims.get(signer)!), fx.secrets[signer]!),
    ),
  }
}

function broadcastsOf(actions: readonly ConsensusAction[], kind: 'proposal' | 'timeout') {
  return actions.flatMap((action) =>
    action.kind === 'broadcast' && action.message.kind === kind ? [action.message] : [],
  )
}

describe('two-chain commit rule', () => {
  it('commits B0 on a QC for B1 when B0 and B1 have consecutive views, and not otherwise', () => {
    const fx = new ConsensusFixture(3, 'two-chain')
    fx.input({ kind: 'start', nowMs: 0 })
    const afterB1 = taggedHash('fixture/state', new Uint8Array([1]))
    const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
    const b2 = fx.child(b1, 2, fx.qcFor(b1))
    expect(commitsIn(fx.propose(b1))).toEqual([])
    // QC(b1): b1 and genesis are consecutive, but genesis is committed already.
    expect(commitsIn(fx.propose(b2))).toEqual([])
    // b3 in view 4, after TC(3): its QC(b2) certifies b2 (view 2) over b1 (view 1), which commits b1. The
    // three-chain rule would need a third block.
    const b3 = fx.child(b2, 4, fx.qcFor(b2), afterB1)
    expect(commitsIn(fx.propose(b3, fx.tcFor(3, 2)))).toEqual([1])
    // Voted once b1 has executed (b3 carries the state root after it).
    expect(votesIn(fx.input({ kind: 'executed', height: 1, stateRoot: afterB1 }))).toEqual([4])
    // QC(b3): b3 (view 4) over b2 (view 2) are not consecutive: nothing.
    const b4 = fx.child(b3, 5, fx.qcFor(b3), afterB1)
    expect(commitsIn(fx.propose(b4))).toEqual([])
    expect(fx.state.committingHeight).toBe(1)
  })

  it('after a TC, votes only for a block extending a QC as high as every high QC the TC names', () => {
    const refused = new ConsensusFixture(3, 'two-chain')
    const accepted = new ConsensusFixture(3, 'two-chain')
    for (const fx of [refused, accepted]) {
      fx.input({ kind: 'start', nowMs: 0 })
      const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
      fx.propose(b1)
      fx.propose(fx.child(b1, 2, fx.qcFor(b1)))
      // The lock of the three-chain rule is still view 0 here: only the TC rule can refuse.
      expect(fx.state.safety.preferredView).toBe(0)
    }
    // A block in view 4 extending b1 (QC view 1) after TC(3), whose signers held QC(b2) (view 2): refused.
    const b1 = refused.child(refused.genesis, 1, refused.genesisQC)
    expect(votesIn(refused.propose(refused.child(b1, 4, refused.qcFor(b1)), refused.tcFor(3, 2)))).toEqual([])
    // The same block after a TC whose signers held at most QC(b1): voted.
    const same = accepted.child(accepted.genesis, 1, accepted.genesisQC)
    const extension = accepted.child(same, 4, accepted.qcFor(same))
    expect(votesIn(accepted.propose(extension, accepted.tcFor(3, 1)))).toEqual([4])
  })

  it('a leader entering by a TC with a lying high-QC claim times its view out itself and leads after a TC of its own', () => {
    // Validator 0 leads view 4 (round robin: too few validators are active yet for leader election to differ).
    const fx = new ConsensusFixture(0, 'two-chain')
    fx.input({ kind: 'start', nowMs: 0 })
    const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
    fx.propose(b1)
    fx.propose(fx.child(b1, 2, fx.qcFor(b1)))
    expect(fx.state.safety.highQC.view).toBe(1)
    // Views 2 and 3 ended without a QC that reached us. Validator 3 built TC(3) from the timeouts of 1 and 2
    // (high QC: view 1) and its own signature claiming a QC in view 2, and relayed it to us first.
    const inflated = tcWithClaims(
      fx,
      3,
      new Map([
        [1, 1],
        [2, 1],
        [3, 2],
      ]),
    )
    const onTC = fx.input({ kind: 'timeout-certificate', tc: inflated })
    expect(fx.state.view).toBe(4)
    // It times out view 3 itself (its timeout names its real high QC), so honest timeouts can form a TC.
    const ownTimeouts = broadcastsOf(onTC, 'timeout')
    expect(ownTimeouts.map((message) => message.kind === 'timeout' && message.timeout.view)).toEqual([3])
    // Asked for a batch as leader of view 4, it does not propose: no honest replica would vote after that TC.
    const payload = fx.input({
      kind: 'payload',
      view: 4,
      parentHash: fx.qcFor(b1).blockHash,
      txs: [],
      nowMs: 1,
    })
    expect(broadcastsOf(payload, 'proposal')).toEqual([])
    // The honest timeouts of view 3 arrive (1 and 2 sent theirs to everyone): with its own, a quorum.
    const fromOne = fx.input(timeoutInput(fx, 1, 3, b1))
    expect(broadcastsOf(fromOne, 'proposal')).toEqual([])
    const fromTwo = fx.input(timeoutInput(fx, 2, 3, b1))
    const proposals = broadcastsOf(fromTwo, 'proposal')
    expect(proposals).toHaveLength(1)
    const proposal = proposals[0]!
    if (proposal.kind !== 'proposal') throw new Error('unreachable')
    expect(proposal.proposal.block.header.view).toBe(4)
    expect(proposal.proposal.lastViewTC?.view).toBe(3)
    expect(proposal.proposal.lastViewTC?.signers).toEqual([0, 1, 2])
    expect(Math.max(...proposal.proposal.lastViewTC!.highQCViews)).toBe(1)
  })
})

function timeoutInput(
  fx: ConsensusFixture,
  sender: number,
  view: number,
  highQCBlock: Parameters<ConsensusFixture['qcFor']>[0],
) {
  const message = timeoutMessage(fx, sender, view, fx.qcFor(highQCBlock))
  if (message.kind !== 'timeout') throw new Error('unreachable')
  return { kind: 'timeout', timeout: message.timeout } as const
}
