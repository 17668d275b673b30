// The fixtures that attack the layers around the consensus core (sync, fetching, evidence, gossip, peers), each
// driven directly with a seeded context as validator 1 of 4: each sends what its header says it sends, and keeps
// no more than its named bounds.

import v8 from 'node:v8'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { bytesEqual, toHex, verify } from '../../crypto/index.js'
import {
  decodeConsensusMessage,
  decodeTx,
  encodeConsensusMessage,
  encodeTx,
  evidenceKeyOf,
} from '../../ledger/codec/index.js'
import { blockHash, txHash, txRoot, txSigningBytes } from '../../ledger/hashing.js'
import { futureViewWindow, syncBatchBlockCountMax, txBytesMax } from '../../ledger/limits.js'
import type {
  Block,
  ConsensusMessage,
  EvidenceRecord,
  Hash,
  Proposal,
  QuorumCertificate,
  Timeout,
  Tx,
} from '../../ledger/types.js'
import type { RejectionReason } from '../../node/consensus/index.js'
import type { ProtocolName } from '../../node/env/network.js'
import { decodeEvidenceGossip, encodeEvidenceGossip } from '../../node/evidence/evidence-gossip.js'
import { EvidenceVerifier } from '../../node/evidence/evidence-verifier.js'
import { protocolLimits } from '../../node/protocols.js'
import {
  type CertifiedBlock,
  decodeSyncMessage,
  encodeSyncMessage,
  type SyncMessage,
} from '../../node/sync/sync-messages.js'
import {
  type ByzantineBehaviour,
  type ByzantineName,
  byzantineFixtures,
  byzantineNames,
  evidenceSpamExtraEveryTicks,
  evidenceSpamFreshPerPeerPerTick,
  heightBombDistanceMin,
  mutateConsensusMessage,
  oldViewSpamServedCountMax,
  oldViewSpamViewsPerTick,
  qcReplayBurstCount,
  qcReplayMemoryCountMax,
  randomMutationShare,
  replayOthersCountPerTick,
  replayOthersMemoryBytesMax,
  replayOthersMemoryCountMax,
  stateRootLiarProposalDelayMs,
  stateRootLiarSecondProposalDelayMs,
  syncLiarHeightLead,
  syncLiarMadeUpBlockCount,
  syncLiarUnsolicitedEveryTicks,
  syncRequestFloodPerPeerPerTick,
  tcEchoBurstCount,
  tcEchoViewSpan,
  txSpamFreshPerTick,
  txSpamJunkEveryTicks,
  txSpamReplayMemoryCountMax,
  txSpamReplaysPerPeerPerTick,
} from '../../testnet/byzantine/index.js'
import { byzantineContext, signatureVerifier } from '../support/byzantine-context.js'
import { ConsensusFixture, votesIn } from '../support/consensus-fixture.js'
import {
  blocks,
  blockWithTxs,
  driveLong,
  fx,
  hashOf,
  honestEvidence,
  n,
  others,
  ownTimeout,
  ownVote,
  proposalIn,
  qcOf,
  Recorder,
  relayedTC,
  type Sent,
  self,
  timeoutBy,
  transfer,
  voteBy,
} from './drive.js'

const verifier = signatureVerifier(fx)
const evidenceVerifier = new EvidenceVerifier({ chainId: fx.chainId, validators: fx.validators })

const behaviourOf = (name: ByzantineName, seed = 1): ByzantineBehaviour =>
  byzantineFixtures[name](byzantineContext(fx, self, seed))
const recorderOf = (name: ByzantineName, seed = 1): Recorder => new Recorder(behaviourOf(name, seed))

const rejection = (message: ConsensusMessage): RejectionReason | 'ok' => {
  const verdict = verifier.verifyMessage(message)
  return verdict.ok ? 'ok' : verdict.reason
}
/**
 * What the verifier says to a fixture's proposal that is valid in every other respect: a proposal carries the
 * QC or the TC of the view before its own (a fixture has no TC to attach), so one on an older parent is refused.
 */
const proposalVerdict = (proposal: Proposal): RejectionReason | 'ok' =>
  proposal.block.header.justify.view === proposal.block.header.view - 1 || proposal.lastViewTC !== null
    ? 'ok'
    : 'invalid-tc'
const messagesOf = (sent: readonly Sent[]): ConsensusMessage[] =>
  sent.filter((s) => s.protocol === 'consensus').map((s) => decodeConsensusMessage(s.frame))
const proposalsOf = (sent: readonly Sent[]): Proposal[] =>
  messagesOf(sent).flatMap((m) => (m.kind === 'proposal' ? [m.proposal] : []))
const timeoutsOf = (sent: readonly Sent[]): Timeout[] =>
  messagesOf(sent).flatMap((m) => (m.kind === 'timeout' ? [m.timeout] : []))
const syncOf = (sent: readonly Sent[]): SyncMessage[] =>
  sent.filter((s) => s.protocol === 'sync').map((s) => decodeSyncMessage(s.frame))
const recipients = (sent: readonly Sent[]): number[] =>
  [...new Set(sent.map((s) => s.to))].sort((a, b) => a - b)
const honestly = (message: ConsensusMessage) => others.map((to) => ({ to, message }))
const isGenesisQC = (qc: QuorumCertificate): boolean =>
  qc.view === 0 && qc.signers.length === 0 && bytesEqual(qc.blockHash, fx.genesisHash)
const qcKey = (qc: QuorumCertificate): string => `${qc.view}:${toHex(qc.blockHash)}`

describe('height-bomb', () => {
  it('on a tick: a validly signed proposal for every view it leads from the current one to a window ahead, on genesis, at an absurd height', () => {
    const recorder = recorderOf('height-bomb')
    recorder.outgoing(ownVote(5, hashOf(blocks[5]!)))
    recorder.outgoing(proposalIn(5))
    const sent = recorder.tick(0)
    const proposals = proposalsOf(sent)
    const views = [...new Set(proposals.map((p) => p.block.header.view))]
    expect(views).toEqual([5, 9, 13, 17, 21]) // the views 5..5+16 that validator 1 leads
    expect(recipients(sent)).toEqual(others)
    expect(proposals.length).toBe(views.length * others.length)
    const heights = new Set<number>()
    for (const proposal of proposals) {
      const { header } = proposal.block
      // Signed by the view's leader, on the one certificate that needs no signature; only the missing TC of the
      // view before gives a verifier something to refuse.
      expect(rejection({ kind: 'proposal', proposal })).toBe('invalid-tc')
      expect(isGenesisQC(header.justify)).toBe(true)
      expect(header.parentHash).toEqual(fx.genesisHash)
      expect(header.height).toBeGreaterThanOrEqual(blocks[5]!.header.height + heightBombDistanceMin)
      heights.add(header.height)
    }
    expect(Math.max(...heights)).toBe(Number.MAX_SAFE_INTEGER)
    expect([...heights].some((height) => height >= 2 ** 40 && height < Number.MAX_SAFE_INTEGER)).toBe(true)
  })

  it('re-sends the same bombs on every tick, and moves on with the view its core is in', () => {
    const recorder = recorderOf('height-bomb')
    recorder.outgoing(proposalIn(5))
    const first = recorder.tick(0)
    expect(recorder.tick(100).map((s) => toHex(s.frame))).toEqual(first.map((s) => toHex(s.frame)))
    recorder.outgoing(ownTimeout(9, qcOf(8)))
    const views = new Set(proposalsOf(recorder.tick(200)).map((p) => p.block.header.view))
    expect([...views]).toEqual([9, 13, 17, 21, 25])
  })

  it('learns the view from peers only within a window: a vote 1000 views ahead does not move it', () => {
    const recorder = recorderOf('height-bomb')
    recorder.outgoing(proposalIn(5))
    recorder.incomingMessage(2, { kind: 'vote', vote: voteBy(2, 1_005, hashOf(blocks[5]!)) })
    expect(Math.max(...proposalsOf(recorder.tick(0)).map((p) => p.block.header.view))).toBe(21)
    recorder.incomingMessage(2, timeoutBy(2, 8, qcOf(7)))
    expect(Math.min(...proposalsOf(recorder.tick(100)).map((p) => p.block.header.view))).toBe(9)
  })

  it('an honest replica neither votes for a bomb nor fetches anything because of it', () => {
    const recorder = recorderOf('height-bomb')
    recorder.outgoing(proposalIn(1))
    const replica = new ConsensusFixture(2)
    replica.input({ kind: 'start', nowMs: 0 })
    for (const proposal of proposalsOf(recorder.tick(0))) {
      const actions = replica.input({ kind: 'proposal', proposal, nowMs: 1_000_000 })
      expect(votesIn(actions)).toEqual([])
      expect(actions.filter((action) => action.kind === 'fetch-block')).toEqual([])
    }
  })

  it('sends the core’s own messages unchanged', () => {
    const behaviour = behaviourOf('height-bomb')
    for (const message of [
      proposalIn(5),
      ownVote(5, hashOf(blocks[5]!)),
      ownTimeout(6, qcOf(5)),
      relayedTC,
    ]) {
      expect(behaviour.outgoing(message, others)).toEqual(honestly(message))
    }
  })
})

describe('qc-replay', () => {
  it('bursts of its own valid timeouts inside the receivers’ window, each carrying a real QC it has seen', () => {
    const recorder = recorderOf('qc-replay')
    recorder.outgoing(proposalIn(5)) // justify QC(4)
    recorder.outgoing(ownTimeout(6, qcOf(5)))
    recorder.incomingMessage(2, proposalIn(7)) // justify QC(6)
    recorder.incomingMessage(3, timeoutBy(3, 8, qcOf(3)))
    const sent = recorder.tick(0)
    const timeouts = timeoutsOf(sent)
    expect(timeouts.length).toBe(qcReplayBurstCount * others.length)
    expect(recipients(sent)).toEqual(others)
    const seen = new Set([4, 5, 6, 3].map((view) => qcKey(qcOf(view))))
    for (const timeout of timeouts) {
      expect(rejection({ kind: 'timeout', timeout })).toBe('ok')
      expect(timeout.sender).toBe(self)
      expect(seen.has(qcKey(timeout.highQC))).toBe(true)
      // Inside the window of receivers in view 8 (the highest view seen): 8 .. 8 + futureViewWindow.
      expect(timeout.view).toBeGreaterThanOrEqual(8)
      expect(timeout.view).toBeLessThanOrEqual(8 + futureViewWindow)
    }
    // One burst already names every QC it holds: as many distinct blocks as it can.
    expect(new Set(timeouts.map((timeout) => qcKey(timeout.highQC)))).toEqual(seen)
  })

  it(`replays only the latest ${qcReplayMemoryCountMax} QCs it has seen`, () => {
    const recorder = recorderOf('qc-replay')
    const seenCount = 2 * qcReplayMemoryCountMax + 10
    // Made-up QCs are enough here: the fixture does not verify what it collects.
    for (let view = 1; view <= seenCount; view++) {
      const qc = {
        view,
        blockHash: new Uint8Array(32).fill(view % 256),
        signers: [0, 2, 3],
        signatures: [1, 2, 3].map(() => new Uint8Array(64)),
      }
      recorder.outgoing({
        kind: 'timeout',
        timeout: { view: view + 1, highQC: qc, sender: self, signature: new Uint8Array(64) },
      })
    }
    const replayed = new Set<number>()
    const ticks = Math.ceil(qcReplayMemoryCountMax / qcReplayBurstCount) + 1
    for (let tick = 0; tick < ticks; tick++) {
      for (const timeout of timeoutsOf(recorder.tick(tick * 100))) replayed.add(timeout.highQC.view)
    }
    expect(replayed.size).toBe(qcReplayMemoryCountMax)
    expect(Math.min(...replayed)).toBe(seenCount - qcReplayMemoryCountMax + 1)
  })

  it('sends nothing of its own before it has seen a real QC', () => {
    const recorder = recorderOf('qc-replay')
    recorder.outgoing(ownTimeout(2, fx.genesisQC))
    expect(recorder.tick(0)).toEqual([])
  })
})

describe('sync-liar', () => {
  /** A head is authentic when the QC certifies exactly its header and verifies. */
  const authentic = (message: SyncMessage): boolean =>
    message.kind === 'head' &&
    bytesEqual(blockHash(message.header), message.qc.blockHash) &&
    message.qc.view === message.header.view &&
    verifier.verifyQC(message.qc)

  /** Whatever block sync must find wrong with a reply to get-blocks(fromHeight) from a chain whose tip is `tipHash`. */
  function batchProblems(fromHeight: number, batch: readonly CertifiedBlock[], tipHash: Hash): string[] {
    const problems: string[] = batch.length === 0 ? ['empty'] : []
    let previous = tipHash
    batch.forEach(({ block, qc }, i) => {
      const hash = blockHash(block.header)
      if (block.header.height !== fromHeight + i) problems.push('height')
      if (!bytesEqual(block.header.parentHash, previous)) problems.push('link')
      if (!bytesEqual(qc.blockHash, hash) || qc.view !== block.header.view) problems.push('qc-mismatch')
      if (!bytesEqual(block.header.txRoot, txRoot(block.txs))) problems.push('tx-root')
      if (!verifier.verifyQC(qc) || !verifier.verifyQC(block.header.justify)) problems.push('qc-invalid')
      previous = hash
    })
    return problems
  }

  /** A real certified chain of heights 1..4 whose block 2 has transactions. */
  const chainWithTxs: CertifiedBlock[] = (() => {
    const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
    const txs = [transfer(0), transfer(1)]
    const plain2 = fx.child(b1, 2, fx.qcFor(b1))
    const b2: Block = { header: { ...plain2.header, txRoot: txRoot(txs) }, txs }
    const b3 = fx.child(b2, 3, fx.qcFor(b2))
    const b4 = fx.child(b3, 4, fx.qcFor(b3))
    return [b1, b2, b3, b4].map((block) => ({ block, qc: fx.qcFor(block) }))
  })()

  it('answers get-head itself, keeping it from its honest server, with a head far above the real one that fails authentication', () => {
    const recorder = recorderOf('sync-liar')
    recorder.outgoing(proposalIn(9))
    let realQCForAnotherBlock = 0
    for (let k = 0; k < 12; k++) {
      const { pass, replies } = recorder.incomingSync(2, { kind: 'get-head' })
      expect(pass).toBe(false)
      expect(replies.map((reply) => reply.to)).toEqual([2])
      const [head] = syncOf(replies)
      if (head?.kind !== 'head') throw new Error('expected a head')
      expect(head.header.height).toBeGreaterThanOrEqual(blocks[9]!.header.height + syncLiarHeightLead)
      expect(authentic(head)).toBe(false)
      // Either a QC that verifies but certifies another block, or one over this header that does not verify.
      if (verifier.verifyQC(head.qc)) {
        expect(bytesEqual(head.qc.blockHash, blockHash(head.header))).toBe(false)
        realQCForAnotherBlock++
      }
    }
    expect(realQCForAnotherBlock).toBe(2) // one head in six
    expect(recorder.record.swallowed.length).toBe(12)
  })

  it('lets every other request through to its honest server', () => {
    const recorder = recorderOf('sync-liar')
    for (const request of [
      { kind: 'get-blocks', fromHeight: 1, count: 8 },
      { kind: 'get-block', hash: hashOf(blocks[3]!) },
    ] as const) {
      expect(recorder.incomingSync(0, request)).toEqual({ pass: true, replies: [] })
    }
  })

  it('turns its honest server’s head into a lie, and strips the transactions from the blocks it serves by hash', () => {
    const recorder = recorderOf('sync-liar')
    const [head] = syncOf(recorder.outgoingSync(2, { kind: 'head', header: blocks[8]!.header, qc: qcOf(8) }))
    expect(head?.kind).toBe('head')
    expect(authentic(head!)).toBe(false)
    const full = chainWithTxs[1]!.block
    const [served] = syncOf(recorder.outgoingSync(3, { kind: 'block', block: full }))
    if (served?.kind !== 'block') throw new Error('expected a block')
    // The hash asked for is the header's, so the reply looks like the answer; only the body is wrong.
    expect(served.block.header).toEqual(full.header)
    expect(served.block.txs).toEqual([])
    expect(bytesEqual(served.block.header.txRoot, txRoot(served.block.txs))).toBe(false)
    expect(syncOf(recorder.outgoingSync(3, { kind: 'block', block: blocks[5]! }))).toEqual([
      { kind: 'block', block: blocks[5]! },
    ])
  })

  it('turns every batch its honest server sends into a wrong one, in every way it has', () => {
    const recorder = recorderOf('sync-liar')
    expect(batchProblems(1, chainWithTxs, fx.genesisHash)).toEqual([])
    const found = new Set<string>()
    for (let k = 0; k < 10; k++) {
      const [reply] = syncOf(
        recorder.outgoingSync(0, { kind: 'blocks', fromHeight: 1, blocks: chainWithTxs }),
      )
      if (reply?.kind !== 'blocks') throw new Error('expected blocks')
      expect(reply.fromHeight).toBe(1)
      const problems = batchProblems(1, reply.blocks, fx.genesisHash)
      expect(problems.length).toBeGreaterThan(0)
      for (const problem of problems) found.add(problem)
    }
    expect(found).toEqual(new Set(['height', 'link', 'qc-mismatch', 'tx-root', 'qc-invalid']))
    // An empty answer (we hold nothing there) becomes a made-up batch at the asked heights.
    const [madeUp] = syncOf(recorder.outgoingSync(0, { kind: 'blocks', fromHeight: 500, blocks: [] }))
    if (madeUp?.kind !== 'blocks') throw new Error('expected blocks')
    expect(madeUp.blocks.map(({ block }) => block.header.height)).toEqual([500])
    expect(batchProblems(500, madeUp.blocks, hashOf(blocks[9]!))).toContain('qc-invalid')
  })

  it(`every ${syncLiarUnsolicitedEveryTicks} ticks sends each validator a lying head, a made-up batch and a block, unasked`, () => {
    const recorder = recorderOf('sync-liar')
    recorder.outgoing(proposalIn(9))
    const perTick = Array.from({ length: 2 * syncLiarUnsolicitedEveryTicks }, (_, tick) =>
      recorder.tick(tick * 100),
    )
    perTick.forEach((sent, tick) => {
      if (tick % syncLiarUnsolicitedEveryTicks !== 0) {
        expect(sent).toEqual([])
        return
      }
      expect(recipients(sent)).toEqual(others)
      for (const to of others) {
        const kinds = syncOf(sent.filter((s) => s.to === to))
        expect(kinds.map((message) => message.kind)).toEqual(['head', 'blocks', 'block'])
        const [head, batch] = kinds
        expect(authentic(head!)).toBe(false)
        if (batch?.kind !== 'blocks') throw new Error('expected blocks')
        expect(batch.blocks.length).toBe(syncLiarMadeUpBlockCount)
        expect(batch.fromHeight).toBe(blocks[9]!.header.height + 1)
        expect(batchProblems(batch.fromHeight, batch.blocks, hashOf(blocks[9]!))).toContain('qc-invalid')
      }
    })
  })

  it('sends its consensus messages honestly', () => {
    const behaviour = behaviourOf('sync-liar')
    for (const message of [
      proposalIn(5),
      ownVote(5, hashOf(blocks[5]!)),
      ownTimeout(6, qcOf(5)),
      relayedTC,
    ]) {
      expect(behaviour.outgoing(message, others)).toEqual(honestly(message))
    }
  })
})

describe('state-root-liar', () => {
  const honest = blocks[5]!

  /** Its core votes for its own block and then proposes it, as tryPropose does. */
  const attack = () => {
    const recorder = recorderOf('state-root-liar')
    const held = recorder.outgoing(ownVote(5, hashOf(honest)))
    const sent = recorder.outgoing(proposalIn(5))
    const at = (delayMs: number) => messagesOf(sent.filter((s) => s.delayMs === delayMs))
    return {
      recorder,
      held,
      sent,
      now: at(0),
      first: at(stateRootLiarProposalDelayMs),
      second: at(stateRootLiarSecondProposalDelayMs),
    }
  }

  it('sends at once a valid bait proposal for its next view whose unknown parent is B1′, B1 with a wrong state root', () => {
    const { held, now, first } = attack()
    expect(held).toEqual([]) // its vote for B1 waits for the proposal
    expect(now.length).toBe(others.length)
    const lying = first.find((m) => m.kind === 'proposal')
    if (lying?.kind !== 'proposal' || now[0]?.kind !== 'proposal') throw new Error('expected proposals')
    const bait = now[0].proposal
    const { header } = bait.block
    // It carries neither the QC nor the TC of the view before: the verifier refuses it, so no receiver fetches
    // B1′ for it (the lie below still reaches them as its own proposal).
    expect(rejection({ kind: 'proposal', proposal: bait })).toBe('invalid-tc')
    expect(header.view).toBe(5 + n) // the next view it leads, inside the window of receivers in view 5
    expect(header.view).toBeLessThanOrEqual(5 + futureViewWindow)
    expect(header.height).toBe(honest.header.height + 1)
    expect(header.parentHash).toEqual(blockHash(lying.proposal.block.header))
    expect(header.justify).toEqual(honest.header.justify) // valid, but it certifies B1's parent, not B1'
    expect(
      now.every(
        (m) => m.kind === 'proposal' && bytesEqual(blockHash(m.proposal.block.header), blockHash(header)),
      ),
    ).toBe(true)
  })

  it('then proposes B1′ (re-signed, only the state root changed) with its vote for it, and again later; never a vote for B1', () => {
    const { sent, first, second } = attack()
    const lyingProposals = [...first, ...second].flatMap((m) => (m.kind === 'proposal' ? [m.proposal] : []))
    expect(lyingProposals.length).toBe(2 * others.length)
    const lying = lyingProposals[0]!
    expect(new Set(lyingProposals.map((p) => toHex(blockHash(p.block.header))))).toEqual(
      new Set([toHex(blockHash(lying.block.header))]),
    )
    expect(rejection({ kind: 'proposal', proposal: lying })).toBe('ok')
    expect({ ...lying.block.header, stateRoot: honest.header.stateRoot }).toEqual(honest.header)
    expect(lying.block.header.stateRoot).not.toEqual(honest.header.stateRoot)
    const votes = messagesOf(sent).flatMap((m) => (m.kind === 'vote' ? [m.vote] : []))
    expect(votes.length).toBe(others.length)
    for (const vote of votes) {
      expect(rejection({ kind: 'vote', vote })).toBe('ok')
      expect(vote.blockHash).toEqual(blockHash(lying.block.header))
    }
    expect(first.filter((m) => m.kind === 'vote').length).toBe(others.length)
    expect(stateRootLiarProposalDelayMs).toBeLessThan(stateRootLiarSecondProposalDelayMs)
    expect(stateRootLiarSecondProposalDelayMs).toBeLessThan(fx.state.config.params.viewTimeoutBaseMs)
  })

  it('answers the receivers’ get-block for B1′ itself, with B1′, and lets every other request through', () => {
    const { recorder, first } = attack()
    const lying = first.find((m) => m.kind === 'proposal')
    if (lying?.kind !== 'proposal') throw new Error('expected a proposal')
    const lyingHash = blockHash(lying.proposal.block.header)
    for (const from of others) {
      const { pass, replies } = recorder.incomingSync(from, { kind: 'get-block', hash: lyingHash })
      expect(pass).toBe(false)
      expect(replies.map((reply) => reply.to)).toEqual([from])
      expect(syncOf(replies)).toEqual([{ kind: 'block', block: lying.proposal.block }])
    }
    expect(recorder.incomingSync(0, { kind: 'get-block', hash: hashOf(honest) })).toEqual({
      pass: true,
      replies: [],
    })
    expect(recorder.incomingSync(0, { kind: 'get-head' })).toEqual({ pass: true, replies: [] })
  })

  it('drops the core’s vote for B1 when the core votes after proposing, and passes other votes on', () => {
    const recorder = recorderOf('state-root-liar')
    recorder.outgoing(proposalIn(1))
    expect(recorder.outgoing(ownVote(1, hashOf(blocks[1]!)))).toEqual([])
    expect(recorder.tick(0)).toEqual([])
    const behaviour = behaviourOf('state-root-liar')
    const vote = ownVote(6, hashOf(blocks[6]!))
    expect(behaviour.outgoing(vote, others)).toEqual(honestly(vote))
  })

  it('releases a held vote unchanged when no proposal follows it', () => {
    const behaviour = behaviourOf('state-root-liar')
    const vote = ownVote(5, hashOf(honest))
    expect(behaviour.outgoing(vote, others)).toEqual([])
    expect(behaviour.tick?.(0)).toEqual(honestly(vote))
  })
})

describe('old-view-spam', () => {
  /** Its core is in view 21 (validator 1 led 1, 5, 9, 13, 17 before), having proposed block 9 on the way. */
  const spammer = (seed = 1) => {
    const recorder = recorderOf('old-view-spam', seed)
    recorder.outgoing(proposalIn(9))
    recorder.outgoing(ownTimeout(21, qcOf(8)))
    return recorder
  }

  it(`on every tick, two different valid proposals for each of ${oldViewSpamViewsPerTick} old views it led, walking down and around`, () => {
    const recorder = spammer()
    const views: number[] = []
    for (let tick = 0; tick < 2; tick++) {
      const sent = recorder.tick(tick * 100)
      expect(recipients(sent)).toEqual(others)
      const proposals = proposalsOf(sent)
      expect(proposals.length).toBe(2 * oldViewSpamViewsPerTick * others.length)
      // Per view: the first proposal to every other validator, then the second to every other validator.
      for (let i = 0; i < proposals.length; i += 2 * others.length) {
        const pair = proposals.slice(i, i + 2 * others.length)
        const hashes = pair.map((proposal) => toHex(blockHash(proposal.block.header)))
        expect(new Set(hashes).size).toBe(2)
        expect(new Set(pair.map((proposal) => proposal.block.header.view)).size).toBe(1)
        for (const proposal of pair) {
          expect(rejection({ kind: 'proposal', proposal })).toBe(proposalVerdict(proposal))
          // Above the committed root: the highest block seen is 9, so its root is lower still.
          expect(proposal.block.header.height).toBeGreaterThanOrEqual(blocks[9]!.header.height)
        }
        views.push(pair[0]!.block.header.view)
      }
    }
    expect(views).toEqual([17, 13, 9, 5, 1, 17, 13, 9, 5, 1, 17, 13, 9, 5, 1, 17])
  })

  it('each pair is valid evidence of a double proposal: a new evidence key per old view', async () => {
    const proposals = proposalsOf(spammer().tick(0))
    const keys = new Set<string>()
    for (let i = 0; i < proposals.length; i += 2 * others.length) {
      const [first, second] = [proposals[i]!, proposals[i + others.length]!]
      const evidence: EvidenceRecord = {
        kind: 'double-proposal',
        view: first.block.header.view,
        first,
        second,
      }
      expect(await evidenceVerifier.verifyEvidence(evidence)).toEqual({ ok: true })
      const key = evidenceKeyOf(evidence)
      keys.add(`${key.kind}:${key.view}:${key.offender}`)
    }
    expect(keys.size).toBe(5) // views 1, 5, 9, 13, 17
  })

  it('alternates parents: a made-up sibling it serves itself when fetched, and the real parent with its real QC', () => {
    const recorder = spammer()
    const proposals = proposalsOf(recorder.tick(0))
    const parents = proposals.map((p) => p.block.header)
    const served = parents.filter((header) => isGenesisQC(header.justify))
    const certified = parents.filter((header) => !isGenesisQC(header.justify))
    expect(served.length).toBe(certified.length)
    for (const header of certified) {
      // Consistent: the parent is the block the justify certifies (block 9's own parent, with QC(8)).
      expect(header.parentHash).toEqual(header.justify.blockHash)
      expect(header.justify).toEqual(qcOf(8))
    }
    for (const header of served) {
      const { pass, replies } = recorder.incomingSync(2, { kind: 'get-block', hash: header.parentHash })
      expect(pass).toBe(false)
      const [reply] = syncOf(replies)
      if (reply?.kind !== 'block') throw new Error('expected a block')
      const parent = reply.block.header
      expect(blockHash(parent)).toEqual(header.parentHash)
      // A sibling of block 9: its parent and valid justify, so a fetcher's checks pass.
      expect(parent.justify).toEqual(qcOf(8))
      expect(parent.parentHash).toEqual(hashOf(blocks[8]!))
      expect(parent.height).toBe(9)
      expect(verifier.verifyQC(parent.justify)).toBe(true)
    }
  })

  it(`serves only its latest ${oldViewSpamServedCountMax} made-up parents`, () => {
    const recorder = spammer()
    const servedParents: Hash[] = []
    const ticks = Math.ceil((2 * oldViewSpamServedCountMax) / (oldViewSpamViewsPerTick / 2)) + 1
    for (let tick = 0; tick < ticks; tick++) {
      for (const proposal of proposalsOf(recorder.tick(tick * 100)).filter(
        (_, i) => i % (2 * others.length) === 0,
      )) {
        if (isGenesisQC(proposal.block.header.justify)) servedParents.push(proposal.block.header.parentHash)
      }
    }
    expect(servedParents.length).toBeGreaterThan(2 * oldViewSpamServedCountMax)
    const answered = servedParents.map((hash) => !recorder.incomingSync(0, { kind: 'get-block', hash }).pass)
    expect(answered.filter(Boolean).length).toBe(oldViewSpamServedCountMax)
    expect(answered.slice(-oldViewSpamServedCountMax).every(Boolean)).toBe(true)
  })

  it('sends nothing before its core has left the first view it led', () => {
    const recorder = recorderOf('old-view-spam')
    recorder.outgoing(proposalIn(1))
    expect(recorder.tick(0)).toEqual([])
  })
})

describe('evidence-spam', () => {
  const run = (ticks: number) => {
    const recorder = recorderOf('evidence-spam')
    return Array.from({ length: ticks }, (_, tick) => recorder.tick(tick * 100))
  }
  const decoded = (frame: Uint8Array): EvidenceRecord | undefined => {
    try {
      return decodeEvidenceGossip(frame)
    } catch {
      return undefined
    }
  }
  const keyOf = (evidence: EvidenceRecord) => {
    const key = evidenceKeyOf(evidence)
    return `${key.kind}:${key.view}:${key.offender}`
  }

  it('sends each validator, on every tick, its own piece of fresh evidence against itself, valid, for a view never used before', async () => {
    const keys = new Set<string>()
    for (const sent of run(12)) {
      expect(sent.every((s) => s.protocol === 'evidence')).toBe(true)
      for (const to of others) {
        const fresh = sent.filter((s) => s.to === to)[0]!
        const evidence = decoded(fresh.frame)!
        expect(await evidenceVerifier.verifyEvidence(evidence)).toEqual({ ok: true })
        expect(evidenceKeyOf(evidence).offender).toBe(self)
        keys.add(keyOf(evidence))
      }
    }
    expect(keys.size).toBe(12 * others.length * evidenceSpamFreshPerPeerPerTick)
  })

  it('adds one frame per validator every other tick: duplicates, the same offence again, and junk of every kind', async () => {
    const sentKeys = new Map<string, string>()
    const extras = new Set<string>()
    for (const [tick, sent] of run(12).entries()) {
      const withExtra = tick % evidenceSpamExtraEveryTicks === 0
      expect(sent.length).toBe(others.length * (evidenceSpamFreshPerPeerPerTick + (withExtra ? 1 : 0)))
      for (const to of others) {
        const [fresh, extra] = sent.filter((s) => s.to === to)
        const freshEvidence = decoded(fresh!.frame)!
        sentKeys.set(keyOf(freshEvidence), toHex(fresh!.frame))
        if (extra === undefined) continue
        const evidence = decoded(extra.frame)
        if (evidence === undefined) {
          extras.add('undecodable')
          continue
        }
        const verdict = await evidenceVerifier.verifyEvidence(evidence)
        if (!verdict.ok) extras.add(verdict.reason)
        else if (sentKeys.get(keyOf(evidence)) === toHex(extra.frame)) extras.add('duplicate')
        else if (sentKeys.has(keyOf(evidence))) extras.add('same-offence')
        else extras.add('fresh')
        sentKeys.set(keyOf(evidence), sentKeys.get(keyOf(evidence)) ?? toHex(extra.frame))
      }
    }
    expect(extras).toEqual(
      new Set(['duplicate', 'same-offence', 'bad-signature', 'unknown-validator', 'undecodable']),
    )
  })

  it('stays under the per-peer evidence rate, so only the re-gossip can make it a flood', () => {
    const perSecond = run(10).flat()
    for (const to of others) {
      expect(perSecond.filter((s) => s.to === to).length).toBeLessThan(
        protocolLimits.evidence.framesPerSecondMax,
      )
    }
  })

  it('sends its consensus messages honestly', () => {
    const behaviour = behaviourOf('evidence-spam')
    for (const message of [proposalIn(5), ownVote(5, hashOf(blocks[5]!)), ownTimeout(6, qcOf(5))]) {
      expect(behaviour.outgoing(message, others)).toEqual(honestly(message))
    }
  })
})

describe('stream-hog', () => {
  it('reads nothing, and sends like an honest validator', () => {
    const behaviour = behaviourOf('stream-hog')
    expect(behaviour.readsNothing).toBe(true)
    for (const message of [
      proposalIn(5),
      ownVote(5, hashOf(blocks[5]!)),
      ownTimeout(6, qcOf(5)),
      relayedTC,
    ]) {
      expect(behaviour.outgoing(message, others)).toEqual(honestly(message))
    }
    expect(behaviour.tick).toBeUndefined()
    expect(behaviour.tickFrames).toBeUndefined()
  })
})

describe('random-mutation', () => {
  const core: ConsensusMessage[] = [
    proposalIn(5),
    { kind: 'proposal', proposal: fx.proposal(blocks[9]!, fx.tcFor(8, 7)) },
    ownVote(5, hashOf(blocks[5]!)),
    ownTimeout(6, qcOf(5)),
    relayedTC,
  ]

  it('sends each recipient the honest message or a copy with one field changed, about half and half; the verifier refuses most copies', () => {
    const behaviour = behaviourOf('random-mutation')
    let copies = 0
    let mutated = 0
    let mutatedButValid = 0
    const reasons = new Set<string>()
    for (let round = 0; round < 60; round++) {
      for (const message of core) {
        const out = behaviour.outgoing(message, others)
        expect(out.map((o) => o.to)).toEqual(others)
        for (const { message: sent } of out) {
          copies++
          if (sent === message) continue
          mutated++
          const reason = rejection(sent)
          if (reason === 'ok') mutatedButValid++
          else reasons.add(reason)
        }
      }
    }
    expect(mutated / copies).toBeGreaterThan(randomMutationShare - 0.1)
    expect(mutated / copies).toBeLessThan(randomMutationShare + 0.1)
    // Re-signed mutations of its own messages carry a signature that verifies over the wrong content.
    expect(mutatedButValid).toBeGreaterThan(0)
    expect(mutatedButValid / mutated).toBeLessThan(0.5)
    expect(reasons).toEqual(new Set(['bad-signature', 'invalid-qc', 'invalid-tc', 'wrong-leader']))
  })

  it('changes every kind of field over many draws, one at a time', () => {
    const context = byzantineContext(fx, self, 7)
    const changed = new Set<string>()
    for (let draw = 0; draw < 300; draw++) {
      for (const message of core) {
        const mutated = mutateConsensusMessage(context, message)
        const all = differingFields(message, mutated)
        // One field: a signer entry added, dropped or replaced is one change of the signer list with its
        // signatures (and highQC views); a re-signed message also has a new signature of its own.
        const signerList = (field: string) => field.replace(/\.(signatures|highQCViews)$/, '.signers')
        const fields = new Set(all.filter((field) => !field.endsWith('.signature')).map(signerList))
        expect(fields.size, JSON.stringify(all)).toBeLessThanOrEqual(1)
        for (const field of all) changed.add(`${message.kind}:${field}`)
      }
    }
    const expected = [
      ...['height', 'view', 'parentHash', 'proposer', 'timestampMs', 'txRoot', 'stateRoot'].map(
        (f) => `proposal:proposal.block.header.${f}`,
      ),
      ...['view', 'blockHash', 'signers', 'signatures'].map(
        (f) => `proposal:proposal.block.header.justify.${f}`,
      ),
      ...['view', 'signers', 'highQCViews', 'signatures'].map((f) => `proposal:proposal.lastViewTC.${f}`),
      'proposal:proposal.lastViewTC',
      'proposal:proposal.signature',
      ...['view', 'blockHash', 'voter', 'signature'].map((f) => `vote:vote.${f}`),
      ...['view', 'sender', 'signature'].map((f) => `timeout:timeout.${f}`),
      ...['view', 'blockHash', 'signers', 'signatures'].map((f) => `timeout:timeout.highQC.${f}`),
      ...['view', 'signers', 'highQCViews', 'signatures'].map((f) => `timeout-certificate:tc.${f}`),
    ]
    for (const field of expected) expect(changed).toContain(field)
  })

  it('mutates sync, tx and evidence frames on their way out: about half changed, most of all still decode', () => {
    const behaviour = behaviourOf('random-mutation')
    const frames: Array<[Exclude<ProtocolName, 'consensus'>, Uint8Array]> = [
      ['sync', encodeSyncMessage({ kind: 'get-block', hash: hashOf(blocks[3]!) })],
      ['sync', encodeSyncMessage({ kind: 'get-blocks', fromHeight: 1, count: 8 })],
      ['sync', encodeSyncMessage({ kind: 'head', header: blocks[8]!.header, qc: qcOf(8) })],
      ['sync', encodeSyncMessage({ kind: 'block', block: blockWithTxs(6, [transfer(0)]).block })],
      [
        'sync',
        encodeSyncMessage({
          kind: 'blocks',
          fromHeight: 1,
          blocks: [1, 2, 3].map((h) => ({ block: blocks[h]!, qc: qcOf(h) })),
        }),
      ],
      ['tx', encodeTx(transfer(3))],
      ['evidence', encodeEvidenceGossip(honestEvidence)],
    ]
    let total = 0
    let changed = 0
    let decodes = 0
    for (let round = 0; round < 60; round++) {
      for (const [protocol, frame] of frames) {
        const out = behaviour.outgoingFrame?.(protocol, 2, frame) ?? []
        expect(out.length).toBe(1)
        const [sent] = out
        expect(sent!.to).toBe(2)
        expect(sent!.protocol).toBe(protocol)
        total++
        if (!bytesEqual(sent!.frame, frame)) changed++
        if (decodesAs(protocol, sent!.frame)) decodes++
      }
    }
    expect(changed / total).toBeGreaterThan(0.4)
    expect(changed / total).toBeLessThan(0.75)
    expect(decodes / total).toBeGreaterThan(0.8)
  })

  it('on every tick, one of its recent consensus messages with damaged bytes to a random validator', () => {
    const recorder = recorderOf('random-mutation')
    expect(recorder.tick(0)).toEqual([])
    for (const message of core) recorder.outgoing(message)
    const honestFrames = new Set(core.map((message) => toHex(encodeConsensusMessage(message))))
    const damaged = Array.from({ length: 40 }, (_, tick) => recorder.tick(tick * 100)).flat()
    expect(damaged.length).toBe(40)
    expect(new Set(damaged.map((s) => s.to))).toEqual(new Set(others))
    expect(damaged.every((s) => s.protocol === 'consensus' && !honestFrames.has(toHex(s.frame)))).toBe(true)
    expect(damaged.filter((s) => decodesAs('consensus', s.frame)).length).toBeLessThan(damaged.length / 2)
  })
})

describe('sync-request-flood', () => {
  it('sends each validator a burst of the costliest sync requests on every tick, just under the per-peer rate', () => {
    const recorder = recorderOf('sync-request-flood')
    recorder.outgoing(proposalIn(9))
    const sent = recorder.tick(0)
    expect(syncRequestFloodPerPeerPerTick * 10).toBeLessThan(protocolLimits.sync.framesPerSecondMax)
    const seenHashes = new Set([hashOf(blocks[9]!), hashOf(blocks[8]!)].map(toHex))
    const kinds = new Set<string>()
    for (const to of others) {
      const requests = syncOf(sent.filter((s) => s.to === to))
      expect(requests.length).toBe(syncRequestFloodPerPeerPerTick)
      for (const request of requests) {
        switch (request.kind) {
          case 'get-blocks':
            expect(request.count).toBe(syncBatchBlockCountMax)
            expect(request.fromHeight).toBeGreaterThanOrEqual(1)
            expect(request.fromHeight).toBeLessThanOrEqual(9)
            kinds.add('get-blocks')
            break
          case 'get-block':
            kinds.add(seenHashes.has(toHex(request.hash)) ? 'get-block-seen' : 'get-block-random')
            break
          case 'get-head':
            kinds.add('get-head')
            break
          default:
            throw new Error(`not a request: ${request.kind}`)
        }
      }
    }
    expect(kinds).toEqual(new Set(['get-blocks', 'get-block-seen', 'get-block-random', 'get-head']))
  })
})

describe('tx-spam', () => {
  const clientKey = toHex(transfer(0).from)
  const verifies = (tx: Tx) => verify(tx.signature, txSigningBytes(tx), tx.from)

  it('gossips fresh, well-signed transfers from accounts of its own on every tick, the same to every validator', () => {
    const recorder = recorderOf('tx-spam')
    const hashes = new Set<string>()
    const senders = new Set<string>()
    for (const s of recorder.tick(0).slice(0, txSpamFreshPerTick * others.length))
      hashes.add(toHex(txHash(decodeTx(s.frame))))
    for (let tick = 1; tick < 4; tick++) {
      // Only every txSpamJunkEveryTicks-th tick carries junk; with nothing seen there are no replays either.
      const sent = recorder.tick(tick * 100)
      expect(sent.length).toBe(txSpamFreshPerTick * others.length)
      for (const to of others) {
        const txs = sent.filter((s) => s.to === to).map((s) => decodeTx(s.frame))
        expect(txs.length).toBe(txSpamFreshPerTick)
        for (const tx of txs) {
          expect(tx.chainId).toBe(fx.chainId)
          expect(verifies(tx)).toBe(true)
          expect(toHex(tx.from)).not.toBe(clientKey)
          hashes.add(toHex(txHash(tx)))
          senders.add(toHex(tx.from))
        }
      }
    }
    expect(hashes.size).toBe(4 * txSpamFreshPerTick)
    expect(senders.size).toBeLessThanOrEqual(4)
  })

  it('replays real transactions it has seen: gossip it received, and the transactions of proposals', () => {
    const recorder = recorderOf('tx-spam')
    const gossiped = [0, 1, 2].map(transfer)
    for (const tx of gossiped) recorder.incoming('tx', 0, encodeTx(tx))
    const inBlock = transfer(10)
    recorder.outgoing({ kind: 'proposal', proposal: fx.proposal(blockWithTxs(5, [inBlock]).block) })
    const seen = new Set([...gossiped, inBlock].map((tx) => toHex(encodeTx(tx))))
    const replayed = new Set<string>()
    for (let tick = 1; tick < 4; tick++) {
      const sent = recorder.tick(tick * 100)
      for (const to of others) {
        const frames = sent.filter((s) => s.to === to && seen.has(toHex(s.frame)))
        expect(frames.length).toBe(txSpamReplaysPerPeerPerTick)
        for (const frame of frames) replayed.add(toHex(frame.frame))
      }
    }
    expect(replayed).toEqual(seen)
  })

  it(`every ${txSpamJunkEveryTicks} ticks, one frame per validator that only a faulty peer sends, of every kind in turn`, () => {
    const recorder = recorderOf('tx-spam')
    const kinds: string[] = []
    for (let tick = 0; tick < 4 * txSpamJunkEveryTicks; tick++) {
      const sent = recorder.tick(tick * 100)
      const extra = sent.length - txSpamFreshPerTick * others.length
      expect(extra).toBe(tick % txSpamJunkEveryTicks === 0 ? others.length : 0)
      for (const s of sent.slice(txSpamFreshPerTick * others.length)) {
        if (s.frame.length > txBytesMax) {
          kinds.push('too-large')
          continue
        }
        let tx: Tx
        try {
          tx = decodeTx(s.frame)
        } catch {
          kinds.push('malformed')
          continue
        }
        kinds.push(tx.chainId !== fx.chainId ? 'wrong-chain' : verifies(tx) ? 'valid' : 'bad-signature')
      }
    }
    expect(new Set(kinds)).toEqual(new Set(['bad-signature', 'wrong-chain', 'malformed', 'too-large']))
  })

  it(`replays only the latest ${txSpamReplayMemoryCountMax} transactions it has seen`, () => {
    const recorder = recorderOf('tx-spam')
    const seenCount = txSpamReplayMemoryCountMax + 100
    const frames = Array.from({ length: seenCount }, (_, nonce) => encodeTx({ ...transfer(0), nonce }))
    for (const frame of frames) recorder.incoming('tx', 2, frame)
    const index = new Map(frames.map((frame, i) => [toHex(frame), i]))
    const replayedIndices = Array.from({ length: 60 }, (_, tick) => recorder.tick(tick * 100))
      .flat()
      .flatMap((s) => (index.has(toHex(s.frame)) ? [index.get(toHex(s.frame))!] : []))
    expect(replayedIndices.length).toBe(60 * others.length * txSpamReplaysPerPeerPerTick)
    expect(Math.min(...replayedIndices)).toBeGreaterThanOrEqual(seenCount - txSpamReplayMemoryCountMax)
  })
})

describe('replay-others', () => {
  it('re-sends, byte for byte, consensus frames peers sent it, to random validators (their signers included)', () => {
    const recorder = recorderOf('replay-others')
    const genuine = [
      encodeConsensusMessage(proposalIn(6)), // by validator 2
      encodeConsensusMessage({ kind: 'vote', vote: voteBy(0, 6, hashOf(blocks[6]!)) }),
      encodeConsensusMessage(timeoutBy(3, 7, qcOf(6))),
    ]
    recorder.incoming('consensus', 2, genuine[0]!)
    recorder.incoming('consensus', 0, genuine[1]!)
    recorder.incoming('consensus', 3, genuine[2]!)
    recorder.incoming('consensus', 3, new Uint8Array([9, 9, 9])) // junk is not a replay
    recorder.incoming('sync', 3, encodeSyncMessage({ kind: 'get-head' }))
    const replayed = Array.from({ length: 20 }, (_, tick) => {
      const sent = recorder.tick(tick * 100)
      expect(sent.length).toBe(replayOthersCountPerTick)
      return sent
    }).flat()
    const genuineHex = new Set(genuine.map(toHex))
    expect(new Set(replayed.map((s) => toHex(s.frame)))).toEqual(genuineHex)
    expect(replayed.every((s) => s.protocol === 'consensus')).toBe(true)
    // The proposal of validator 2 reaches validator 2 too.
    expect(replayed.some((s) => s.to === 2 && bytesEqual(s.frame, genuine[0]!))).toBe(true)
    expect(new Set(replayed.map((s) => s.to))).toEqual(new Set(others))
  })

  it(`keeps at most ${replayOthersMemoryCountMax} frames and ${replayOthersMemoryBytesMax} bytes, oldest forgotten first`, () => {
    const recorder = recorderOf('replay-others')
    const count = replayOthersMemoryCountMax + 44
    const votes = Array.from({ length: count }, (_, view) =>
      encodeConsensusMessage({ kind: 'vote', vote: { ...voteBy(0, 1, hashOf(blocks[1]!)), view: view + 1 } }),
    )
    for (const frame of votes) recorder.incoming('consensus', 0, frame)
    const replayedViews = Array.from({ length: 100 }, (_, tick) => recorder.tick(tick * 100))
      .flat()
      .map((s) => {
        const message = decodeConsensusMessage(s.frame)
        return message.kind === 'vote' ? message.vote.view : -1
      })
    expect(Math.min(...replayedViews)).toBeGreaterThan(count - replayOthersMemoryCountMax)
    // Big frames: the byte bound forgets the oldest first too.
    const big = (view: number, index: number) => {
      const txs = Array.from({ length: 2_000 }, (_, nonce) => ({
        ...transfer(0),
        nonce: index * 10_000 + nonce,
      }))
      const block = { header: { ...blocks[view]!.header, txRoot: txRoot(txs) }, txs }
      return encodeConsensusMessage({ kind: 'proposal', proposal: fx.proposal(block) })
    }
    const bigFrames = Array.from({ length: 18 }, (_, index) => big(1 + (index % 9), index))
    const frameBytes = bigFrames[0]!.length
    for (const frame of bigFrames) recorder.incoming('consensus', 2, frame)
    const kept = Math.floor(replayOthersMemoryBytesMax / frameBytes)
    expect(kept).toBeLessThan(bigFrames.length)
    const replayedBig = new Set(
      Array.from({ length: 100 }, (_, tick) => recorder.tick(tick * 100))
        .flat()
        .filter((s) => s.frame.length === frameBytes)
        .map((s) => toHex(s.frame)),
    )
    const oldest = new Set(bigFrames.slice(0, bigFrames.length - kept).map(toHex))
    expect([...replayedBig].some((hex) => oldest.has(hex))).toBe(false)
    expect(replayedBig.size).toBeGreaterThan(0)
  })

  it('sends its own consensus messages honestly', () => {
    const behaviour = behaviourOf('replay-others')
    for (const message of [proposalIn(5), ownVote(5, hashOf(blocks[5]!)), ownTimeout(6, qcOf(5))]) {
      expect(behaviour.outgoing(message, others)).toEqual(honestly(message))
    }
  })
})

describe('tc-echo', () => {
  it('sends bursts of valid timeouts (genesis highQC) for recent views below the current one, each signed once', () => {
    const recorder = recorderOf('tc-echo')
    recorder.outgoing(proposalIn(9))
    const first = recorder.tick(0)
    const timeouts = timeoutsOf(first)
    expect(timeouts.length).toBe(tcEchoBurstCount * others.length)
    expect(recipients(first)).toEqual(others)
    const signatures = new Map<number, string>()
    for (const timeout of timeouts) {
      expect(rejection({ kind: 'timeout', timeout })).toBe('ok')
      expect(timeout.view).toBeLessThan(9)
      expect(timeout.view).toBeGreaterThanOrEqual(Math.max(1, 9 - 1 - tcEchoViewSpan))
      expect(isGenesisQC(timeout.highQC)).toBe(true)
      const signature = toHex(timeout.signature)
      expect(signatures.get(timeout.view) ?? signature).toBe(signature)
      signatures.set(timeout.view, signature)
    }
    // A later tick sends timeouts it already signed: the same bytes again.
    for (const timeout of timeoutsOf(recorder.tick(100))) {
      const known = signatures.get(timeout.view)
      if (known !== undefined) expect(toHex(timeout.signature)).toBe(known)
    }
  })

  it('sends nothing before its core is past view 1', () => {
    const recorder = recorderOf('tc-echo')
    recorder.outgoing(proposalIn(1))
    expect(recorder.tick(0)).toEqual([])
  })
})

describe('tc-inflater', () => {
  it("withholds its own timeouts and, with quorum − 1 of its peers', completes a TC claiming a high QC in the view before", () => {
    const recorder = recorderOf('tc-inflater')
    expect(recorder.outgoing(ownTimeout(7, qcOf(5)))).toEqual([])
    // Its own proposals and votes still leave as they are.
    expect(recorder.outgoing(ownVote(5, hashOf(blocks[5]!)))).toHaveLength(others.length)
    expect(
      recorder.incoming('consensus', 0, encodeConsensusMessage(timeoutBy(0, 7, qcOf(5)))).replies,
    ).toEqual([])
    const { pass, replies } = recorder.incoming(
      'consensus',
      2,
      encodeConsensusMessage(timeoutBy(2, 7, qcOf(5))),
    )
    // The honest code still gets every timeout.
    expect(pass).toBe(true)
    expect(recipients(replies)).toEqual(others)
    const certificates = messagesOf(replies).flatMap((m) => (m.kind === 'timeout-certificate' ? [m.tc] : []))
    expect(certificates).toHaveLength(others.length)
    const tc = certificates[0]!
    // A valid TC: the verifier cannot tell the lie, the signed view of a QC that does not exist.
    expect(rejection({ kind: 'timeout-certificate', tc })).toBe('ok')
    expect(tc.view).toBe(7)
    expect(tc.signers).toEqual([0, 1, 2])
    expect(tc.highQCViews).toEqual([5, 6, 5])
    // Once per view: a third timeout of view 7 completes nothing new.
    expect(
      recorder.incoming('consensus', 3, encodeConsensusMessage(timeoutBy(3, 7, qcOf(5)))).replies,
    ).toEqual([])
  })
})

describe('every fixture: bounded memory', () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as () => void
  /** Bytes in use after a full collection (the heap and array buffers, where frames live). */
  const bytesInUse = (): number => {
    gc()
    gc()
    const usage = process.memoryUsage()
    return usage.heapUsed + usage.arrayBuffers
  }
  // After warmUpRounds every bounded memory of a fixture is full; the next rounds must not add to it. A fixture
  // that kept what a round brings would grow by megabytes over them (the control below).
  const warmUpRounds = 200
  const measuredRounds = 800
  const grownBytesMax = 1_048_576
  const growth = (behaviour: ByzantineBehaviour): number => {
    driveLong(behaviour, 0, warmUpRounds)
    const warm = bytesInUse()
    driveLong(behaviour, warmUpRounds, measuredRounds)
    return bytesInUse() - warm
  }

  it('the measure sees a fixture that keeps everything it is sent (control)', () => {
    const kept: Uint8Array[] = []
    const keepsEverything: ByzantineBehaviour = {
      name: 'keeps-everything',
      outgoing: () => [],
      incoming: (_protocol, _from, frame) => {
        kept.push(frame)
        return { pass: true }
      },
    }
    expect(growth(keepsEverything)).toBeGreaterThan(2 * grownBytesMax)
  })

  it.each(byzantineNames)('%s: what it keeps stops growing, however long it runs', (name) => {
    expect(growth(behaviourOf(name))).toBeLessThan(grownBytesMax)
  })
})

// --- helpers ---------------------------------------------------------------------------------------------

function decodesAs(protocol: ProtocolName, frame: Uint8Array): boolean {
  try {
    if (protocol === 'consensus') decodeConsensusMessage(frame)
    else if (protocol === 'sync') decodeSyncMessage(frame)
    else if (protocol === 'tx') decodeTx(frame)
    else decodeEvidenceGossip(frame)
    return true
  } catch {
    return false
  }
}

/** Dotted paths of the leaves (or lists, or null vs object) where two values differ. */
function differingFields(a: unknown, b: unknown, path = ''): string[] {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b) ? [] : [path]
  }
  if (Array.isArray(a) || Array.isArray(b))
    return JSON.stringify(toPlain(a)) === JSON.stringify(toPlain(b)) ? [] : [path]
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b ? [] : [path]
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].flatMap((key) =>
    differingFields(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      path === '' ? key : `${path}.${key}`,
    ),
  )
}

function toPlain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_, v) =>
      v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? v.toString() : v,
    ),
  )
}
