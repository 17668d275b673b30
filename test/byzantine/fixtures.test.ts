import { describe, expect, it } from 'vitest'
import { keyPairFromSecret, sign, toHex, verify } from '../../crypto/index.js'
import {
  decodeConsensusMessage,
  decodeTx,
  encodeConsensusMessage,
  encodeTx,
} from '../../ledger/codec/index.js'
import {
  blockHash,
  timeoutSigningBytes,
  txRoot,
  txSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import { faultTolerance, quorumSize } from '../../ledger/quorum.js'
import type {
  Block,
  ConsensusMessage,
  Hash,
  Proposal,
  QuorumCertificate,
  Signature,
  Timeout,
  TimeoutCertificate,
  Vote,
} from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import type { ConsensusAction, MessageVerifier, RejectionReason } from '../../node/consensus/index.js'
import type { ProtocolName } from '../../node/env/network.js'
import { decodeEvidenceGossip, encodeEvidenceGossip } from '../../node/evidence/evidence-gossip.js'
import { protocolLimits } from '../../node/protocols.js'
import { decodeSyncMessage, encodeSyncMessage } from '../../node/sync/sync-messages.js'
import { decodeTxBatch, encodeTxBatch } from '../../node/validator/tx-batch-codec.js'
import {
  type ByzantineBehaviour,
  type ByzantineName,
  byzantineFixtures,
  byzantineNames,
  type ForgeryKind,
  farFutureMs,
  forgeryKinds,
  futureViewFloodBurstCount,
  futureViewFloodDistance,
  invalidBlockKinds,
  invalidBlockKindsFor,
  type Outgoing,
  parseByzantineName,
  staleReplayCountPerTick,
  staleReplayMemoryCountMax,
  twinBlock,
  twinsFixtureName,
  withholdingDelayMs,
} from '../../testnet/byzantine/index.js'
import { byzantineContext, fullVerifier, signatureVerifier } from '../support/byzantine-context.js'
import { ConsensusFixture, votesIn } from '../support/consensus-fixture.js'
import { driveAll, transcript } from './drive.js'

// The byzantine validator is index 1 of 4: it leads views 1, 5 and 9 (leader(v) = v mod 4).
const self = 1
const others = [0, 2, 3]
const fx = new ConsensusFixture(0)
const n = fx.validators.length
const quorum = quorumSize(n)
const verifier = signatureVerifier(fx)

/** genesis, then blocks[v] in view v (v = 1..9), each extending the previous with a QC for it. */
const blocks: Block[] = [fx.genesis]
for (let view = 1; view <= 9; view++) {
  const parent = blocks[view - 1]!
  blocks.push(fx.child(parent, view, view === 1 ? fx.genesisQC : fx.qcFor(parent)))
}
const hashOf = (block: Block): Hash => blockHash(block.header)
const proposalIn = (view: number): ConsensusMessage => ({
  kind: 'proposal',
  proposal: fx.proposal(blocks[view]!),
})
const ownVote = (view: number, hash: Hash): ConsensusMessage => ({
  kind: 'vote',
  vote: {
    view,
    blockHash: hash,
    voter: self,
    signature: sign(voteSigningBytes(fx.chainId, view, hash), fx.secrets[self]!),
  },
})
const ownTimeout = (view: number, highQC: QuorumCertificate): ConsensusMessage => ({
  kind: 'timeout',
  timeout: {
    view,
    highQC,
    sender: self,
    signature: sign(timeoutSigningBytes(fx.chainId, view, highQC.view), fx.secrets[self]!),
  },
})
const qc4 = blocks[5]!.header.justify
/** TC(3), signed by 0, 2 and 3: the core relays it to a replica still timing out in view 3. */
const relayedTC: ConsensusMessage = { kind: 'timeout-certificate', tc: fx.tcFor(3, 2, [0, 2, 3]) }
const qc5 = fx.qcFor(blocks[5]!)

const behaviourOf = (name: ByzantineName, seed = 1): ByzantineBehaviour =>
  byzantineFixtures[name](byzantineContext(fx, self, seed))

const proposalsIn = (out: readonly Outgoing[]): Proposal[] =>
  out.flatMap((o) => (o.message.kind === 'proposal' ? [o.message.proposal] : []))
const votesOut = (out: readonly Outgoing[]): Vote[] =>
  out.flatMap((o) => (o.message.kind === 'vote' ? [o.message.vote] : []))
const timeoutsOut = (out: readonly Outgoing[]): Timeout[] =>
  out.flatMap((o) => (o.message.kind === 'timeout' ? [o.message.timeout] : []))
const distinctHex = (items: readonly Uint8Array[]): Set<string> => new Set(items.map(toHex))
const recipientsOf = (out: readonly Outgoing[]): number[] => out.map((o) => o.to).sort((a, b) => a - b)
const rejection = (message: ConsensusMessage, by: MessageVerifier = verifier): RejectionReason | 'ok' => {
  const verdict = by.verifyMessage(message)
  return verdict.ok ? 'ok' : verdict.reason
}

/**
 * Everything the byzantine replica's honest core might send, step by step, with a tick after each step. As
 * leader the core sends its own vote and then its proposal in one step (views 5, 9); view 1 has the opposite
 * order, so fixtures cope with both.
 */
function drive(behaviour: ByzantineBehaviour): Outgoing[] {
  const steps: ConsensusMessage[][] = [
    [proposalIn(1), ownVote(1, hashOf(blocks[1]!))],
    [ownTimeout(2, fx.genesisQC)],
    [ownVote(5, hashOf(blocks[5]!)), proposalIn(5)],
    [ownTimeout(6, qc5)],
    [relayedTC],
    [ownTimeout(6, qc5)],
    [ownVote(9, hashOf(blocks[9]!)), proposalIn(9)],
  ]
  // Repeated proposals walk the cycling fixtures through all their variants.
  for (let i = 0; i < 10; i++) steps.push([proposalIn(5)])
  const out: Outgoing[] = []
  steps.forEach((step, i) => {
    for (const message of step) out.push(...behaviour.outgoing(message, others))
    out.push(...(behaviour.tick?.(i * 100) ?? []))
  })
  return out
}

describe('byzantine fixture registry', () => {
  it('names every fixture once, and each behaviour reports its own name', () => {
    expect(Object.keys(byzantineFixtures).sort()).toEqual([...byzantineNames].sort())
    for (const name of byzantineNames) expect(behaviourOf(name).name).toBe(name)
  })

  it('parses every CLI name and refuses others, listing the valid names', () => {
    for (const name of byzantineNames) expect(parseByzantineName(name)).toBe(name)
    expect(() => parseByzantineName('nope')).toThrow(
      /unknown byzantine fixture "nope"; valid names: silent, /,
    )
    expect(() => parseByzantineName('Silent')).toThrow(/valid names/)
  })

  it('keeps twins out of the behaviours: it is two replicas sharing one key', () => {
    expect(twinsFixtureName).toBe('twins')
    expect(byzantineNames).not.toContain(twinsFixtureName)
    expect(() => parseByzantineName('twins')).toThrow(/two replicas sharing one key.*valid names: silent/)
  })

  it('only amnesia wipes its safety state on restart', () => {
    for (const name of byzantineNames) {
      expect(behaviourOf(name).wipesSafetyStateOnRestart === true).toBe(name === 'amnesia')
    }
  })

  it('only stream-hog reads nothing', () => {
    for (const name of byzantineNames)
      expect(behaviourOf(name).readsNothing === true).toBe(name === 'stream-hog')
  })
})

/** Frames a fixture sends on purpose undecodable, by protocol (everything else must decode). */
const junkByFixture: Partial<Record<ByzantineName, readonly ProtocolName[]>> = {
  'evidence-spam': ['evidence'],
  'tx-spam': ['tx'],
  'random-mutation': ['consensus', 'sync', 'tx', 'evidence'],
}

/** Decodes a frame of `protocol` and re-encodes it; throws a DecodeError if it does not decode. */
function reencoded(protocol: ProtocolName, frame: Uint8Array): Uint8Array {
  switch (protocol) {
    case 'consensus':
      return encodeConsensusMessage(decodeConsensusMessage(frame))
    case 'sync':
      return encodeSyncMessage(decodeSyncMessage(frame))
    case 'tx':
      return encodeTx(decodeTx(frame))
    case 'tx-batch':
      return encodeTxBatch(decodeTxBatch(frame))
    case 'evidence':
      return encodeEvidenceGossip(decodeEvidenceGossip(frame))
  }
}

describe('every fixture', () => {
  it.each(byzantineNames)(
    '%s: sends only to other validators, within frame limits, and only what decodes (junk only where it is the point)',
    (name) => {
      const { sent } = driveAll(behaviourOf(name))
      for (const s of sent) {
        expect(others).toContain(s.to)
        expect(s.delayMs).toBeGreaterThanOrEqual(0)
        expect(s.frame.length).toBeLessThanOrEqual(protocolLimits[s.protocol].frameBytesMax)
        // Messages (not raw frames) are encoded by the node itself: they always travel.
        const isMessage = s.via === 'outgoing' || s.via === 'tick'
        if (!isMessage && junkByFixture[name]?.includes(s.protocol)) continue
        // It travels: the real codec decodes it, and encoding gives back the same bytes.
        expect(reencoded(s.protocol, s.frame)).toEqual(s.frame)
      }
    },
  )

  it.each(byzantineNames)('%s: the same seed gives the same frames, byte for byte', (name) => {
    const first = transcript(driveAll(behaviourOf(name, 42)))
    expect(transcript(driveAll(behaviourOf(name, 42)))).toEqual(first)
  })

  it.each(
    byzantineNames.filter(
      (name) => !['silent', 'amnesia', 'withholding-leader', 'stream-hog', 'tc-inflater'].includes(name),
    ),
  )('%s: draws its randomness from context.random (another seed, another run)', (name) => {
    expect(transcript(driveAll(behaviourOf(name, 43)))).not.toEqual(
      transcript(driveAll(behaviourOf(name, 42))),
    )
  })
})

describe('silent', () => {
  it('sends nothing, on any message or tick', () => {
    expect(drive(behaviourOf('silent'))).toEqual([])
  })
})

describe('honest senders (amnesia, stale-replay, future-view-flood)', () => {
  it.each(['amnesia', 'stale-replay', 'future-view-flood'] as const)(
    '%s: passes each message on unchanged to each recipient',
    (name) => {
      const behaviour = behaviourOf(name)
      for (const message of [proposalIn(5), ownVote(5, hashOf(blocks[5]!)), ownTimeout(6, qc5), relayedTC]) {
        expect(behaviour.outgoing(message, others)).toEqual(others.map((to) => ({ to, message })))
      }
    },
  )
})

describe('equivocating-leader', () => {
  it('sends two different, validly signed blocks for one view, one to each half', () => {
    const out = behaviourOf('equivocating-leader').outgoing(proposalIn(5), others)
    expect(recipientsOf(out)).toEqual(others)
    const proposals = proposalsIn(out)
    const hashes = distinctHex(proposals.map((p) => blockHash(p.block.header)))
    expect(hashes.size).toBe(2)
    for (const proposal of proposals) {
      expect(rejection({ kind: 'proposal', proposal })).toBe('ok')
      const { header } = proposal.block
      const honest = blocks[5]!.header
      // Same slot in the chain: real equivocation, not a malformed block.
      expect([header.view, header.height, header.proposer]).toEqual([
        honest.view,
        honest.height,
        honest.proposer,
      ])
      expect(header.parentHash).toEqual(honest.parentHash)
      expect(header.justify).toEqual(honest.justify)
    }
  })

  it('each of the two blocks wins an honest vote', () => {
    const out = behaviourOf('equivocating-leader').outgoing(proposalIn(5), others)
    const [a, b] = uniqueProposals(proposalsIn(out))
    expect(votesIn(honestReplicaDelivered(a!))).toContain(5)
    expect(votesIn(honestReplicaDelivered(b!))).toContain(5)
  })

  /** Each recipient's vote is for the block that recipient received, and the vote verifies. */
  const expectVotesMatchBlocks = (sent: readonly Outgoing[]): void => {
    const received = new Map<number, Hash>()
    for (const o of sent) {
      if (o.message.kind === 'proposal') received.set(o.to, blockHash(o.message.proposal.block.header))
    }
    const votes = sent.filter((o) => o.message.kind === 'vote')
    expect(recipientsOf(votes)).toEqual(others)
    for (const { to, message } of votes) {
      if (message.kind !== 'vote') throw new Error('unreachable')
      expect(rejection(message)).toBe('ok')
      expect(message.vote.blockHash).toEqual(received.get(to))
    }
    expect(distinctHex(votesOut(votes).map((v) => v.blockHash)).size).toBe(2)
  }

  it('votes for each block in the half that received it (the core votes before it proposes)', () => {
    const behaviour = behaviourOf('equivocating-leader')
    // The core persists and sends its own vote first: it is held until the proposal says who gets which block.
    expect(behaviour.outgoing(ownVote(5, hashOf(blocks[5]!)), others)).toEqual([])
    const sent = behaviour.outgoing(proposalIn(5), others)
    expect(proposalsIn(sent).length).toBe(others.length)
    expectVotesMatchBlocks(sent)
  })

  it('votes for each block in the half that received it (the core proposes before it votes)', () => {
    const behaviour = behaviourOf('equivocating-leader')
    const sent = behaviour.outgoing(proposalIn(5), others)
    sent.push(...behaviour.outgoing(ownVote(5, hashOf(blocks[5]!)), others))
    expectVotesMatchBlocks(sent)
  })

  it('releases a held vote unchanged when no proposal follows it', () => {
    const behaviour = behaviourOf('equivocating-leader')
    const vote = ownVote(5, hashOf(blocks[5]!))
    expect(behaviour.outgoing(vote, others)).toEqual([])
    expect(behaviour.tick?.(0)).toEqual(others.map((to) => ({ to, message: vote })))
    expect(behaviour.outgoing(vote, others)).toEqual([])
    const timeout = ownTimeout(6, qc5)
    expect(behaviour.outgoing(timeout, others)).toEqual([
      ...others.map((to) => ({ to, message: vote })),
      ...others.map((to) => ({ to, message: timeout })),
    ])
  })

  it('keeps the twin well formed when the block has transactions: half of them, with a matching txRoot', () => {
    const keyPair = keyPairFromSecret(new Uint8Array(32).fill(9))
    const txs = [0, 1, 2, 3].map((nonce) =>
      buildTransfer({ chainId: fx.chainId, keyPair, to: keyPair.publicKey, amount: 1n, nonce }),
    )
    const block = { header: { ...blocks[5]!.header, txRoot: txRoot(txs) }, txs }
    const twin = twinBlock(block)
    expect(twin.txs).toEqual(txs.slice(0, 2))
    expect(twin.header.txRoot).toEqual(txRoot(twin.txs))
    expect(blockHash(twin.header)).not.toEqual(blockHash(block.header))
  })

  it('passes on other validators’ proposals and unrelated votes unchanged', () => {
    const behaviour = behaviourOf('equivocating-leader')
    const message = proposalIn(6)
    expect(behaviour.outgoing(message, others)).toEqual(others.map((to) => ({ to, message })))
    const vote = ownVote(6, hashOf(blocks[6]!))
    expect(behaviour.outgoing(vote, others)).toEqual(others.map((to) => ({ to, message: vote })))
  })
})

describe('double-voter', () => {
  it('signs two votes for different blocks in one view, one for each half, both valid', () => {
    const behaviour = behaviourOf('double-voter')
    behaviour.outgoing(ownVote(4, hashOf(blocks[4]!)), others)
    const out = behaviour.outgoing(ownVote(5, hashOf(blocks[5]!)), others)
    expect(recipientsOf(out)).toEqual(others)
    const votes = votesOut(out)
    expect(votes.every((vote) => vote.view === 5 && vote.voter === self)).toBe(true)
    expect(distinctHex(votes.map((vote) => vote.blockHash)).size).toBe(2)
    for (const { message } of out) expect(rejection(message)).toBe('ok')
  })

  it('signs two timeouts for one view with different highQC views, both valid', () => {
    const behaviour = behaviourOf('double-voter')
    const out = behaviour.outgoing(ownTimeout(6, qc5), others)
    expect(recipientsOf(out)).toEqual(others)
    const timeouts = timeoutsOut(out)
    expect(timeouts.every((timeout) => timeout.view === 6)).toBe(true)
    expect(new Set(timeouts.map((timeout) => timeout.highQC.view))).toEqual(new Set([5, 0]))
    for (const { message } of out) expect(rejection(message)).toBe('ok')
    // The core re-sends its timeout on every expiry: the conflicting one is the same each time.
    const again = timeoutsOut(behaviour.outgoing(ownTimeout(6, qc5), others))
    expect(distinctHex([...timeouts, ...again].map((timeout) => timeout.signature)).size).toBe(2)
  })

  it('sends a timeout whose highQC is genesis honestly: there is no other valid highQC to claim', () => {
    const message = ownTimeout(2, fx.genesisQC)
    expect(behaviourOf('double-voter').outgoing(message, others)).toEqual(
      others.map((to) => ({ to, message })),
    )
  })
})

describe('forged-certificates', () => {
  const forgedRun = (): Outgoing[] => {
    const behaviour = behaviourOf('forged-certificates')
    const out: Outgoing[] = []
    for (let i = 0; i < 10; i++) out.push(...behaviour.outgoing(proposalIn(5), others))
    for (let i = 0; i < 5; i++) out.push(...behaviour.outgoing(ownTimeout(6, qc5), others))
    for (let i = 0; i < 5; i++) out.push(...behaviour.outgoing(relayedTC, others))
    return out
  }

  it('every proposal, timeout and relayed TC it sends is rejected for its certificate, never its signature', () => {
    const out = forgedRun()
    const reasons = new Set<string>()
    for (const { message } of out) {
      const reason = rejection(message)
      // The verifier checks the sender's signature first: 'invalid-qc'/'invalid-tc' means it was good.
      expect(['invalid-qc', 'invalid-tc']).toContain(reason)
      reasons.add(`${message.kind}:${reason}`)
    }
    expect(reasons).toEqual(
      new Set([
        'proposal:invalid-qc',
        'proposal:invalid-tc',
        'timeout:invalid-qc',
        'timeout-certificate:invalid-tc',
      ]),
    )
    // In view 1 (no previous view for a TC) the genesis justify itself is forged.
    const first = behaviourOf('forged-certificates').outgoing(proposalIn(1), others)
    for (const { message } of first) expect(rejection(message)).toBe('invalid-qc')
  })

  it('cycles through all five forgeries, in QCs, added TCs and relayed TCs, each with just its one defect', () => {
    const out = forgedRun()
    const qcKinds = new Set<string>()
    const tcKinds = new Set<string>()
    for (const proposal of proposalsIn(out)) {
      const { justify } = proposal.block.header
      if (proposal.lastViewTC !== null) {
        expect(justify).toEqual(qc4) // only the TC was forged
        tcKinds.add(classifyTC(proposal.lastViewTC))
      } else {
        qcKinds.add(classifyQC(justify))
      }
    }
    for (const timeout of timeoutsOut(out)) qcKinds.add(classifyQC(timeout.highQC))
    const relayedKinds = new Set(
      out.flatMap((o) => (o.message.kind === 'timeout-certificate' ? [classifyTC(o.message.tc)] : [])),
    )
    expect(qcKinds).toEqual(new Set(forgeryKinds))
    expect(tcKinds).toEqual(new Set(forgeryKinds))
    expect(relayedKinds).toEqual(new Set(forgeryKinds))
  })

  it('sends votes honestly', () => {
    const message = ownVote(5, hashOf(blocks[5]!))
    expect(behaviourOf('forged-certificates').outgoing(message, others)).toEqual(
      others.map((to) => ({ to, message })),
    )
  })
})

describe('bad-signatures', () => {
  it('every message it sends is rejected as a bad signature, one bit away from the honest one', () => {
    const behaviour = behaviourOf('bad-signatures')
    for (const honest of [proposalIn(5), ownVote(5, hashOf(blocks[5]!)), ownTimeout(6, qc5), relayedTC]) {
      const out = behaviour.outgoing(honest, others)
      expect(recipientsOf(out)).toEqual(others)
      for (const { message } of out) {
        // A relayed TC has no signature of the sender's own: one of its signatures is the corrupted one.
        expect(rejection(message)).toBe(
          honest.kind === 'timeout-certificate' ? 'invalid-tc' : 'bad-signature',
        )
        expect(differingBits(signatureOf(message), signatureOf(honest))).toBe(1)
        // Nothing else changed.
        expect(withSignature(message, signatureOf(honest))).toEqual(honest)
      }
    }
  })
})

describe('stale-replay', () => {
  it('re-sends a few of its last 256 messages on each tick, to random other validators', () => {
    const behaviour = behaviourOf('stale-replay')
    expect(behaviour.tick?.(0)).toEqual([])
    const sentCount = staleReplayMemoryCountMax + 44
    for (let view = 1; view <= sentCount; view++)
      behaviour.outgoing(ownVote(view, hashOf(blocks[1]!)), others)
    const replayed: Outgoing[] = []
    for (let tick = 0; tick < 200; tick++) {
      const out = behaviour.tick?.(tick * 100) ?? []
      expect(out.length).toBe(staleReplayCountPerTick)
      replayed.push(...out)
    }
    const views = votesOut(replayed).map((vote) => vote.view)
    expect(views.length).toBe(replayed.length)
    // Bounded memory: only the latest 256 are ever replayed.
    expect(Math.min(...views)).toBeGreaterThan(sentCount - staleReplayMemoryCountMax)
    expect(new Set(views).size).toBeGreaterThan(100)
    expect(new Set(recipientsOf(replayed))).toEqual(new Set(others))
  })
})

describe('future-view-flood', () => {
  it('floods signed votes and timeouts 1000+ views past the highest view it has seen', () => {
    const behaviour = behaviourOf('future-view-flood')
    behaviour.outgoing(proposalIn(9), others)
    behaviour.outgoing(ownVote(5, hashOf(blocks[5]!)), others)
    for (const tick of [0, 100]) {
      const out = behaviour.tick?.(tick) ?? []
      expect(out.length).toBe(futureViewFloodBurstCount)
      for (const { message } of out) {
        // Properly signed: a receiver can only drop them for their view.
        expect(rejection(message)).toBe('ok')
        expect(viewOf(message)).toBeGreaterThanOrEqual(9 + futureViewFloodDistance)
      }
      expect(votesOut(out).length).toBeGreaterThan(0)
      expect(timeoutsOut(out).every((timeout) => timeout.highQC.view === 0)).toBe(true)
      expect(timeoutsOut(out).length).toBeGreaterThan(0)
      expect(new Set(recipientsOf(out))).toEqual(new Set(others))
    }
  })

  it('floods from view 1000 on before it has seen anything', () => {
    const out = behaviourOf('future-view-flood').tick?.(0) ?? []
    expect(Math.min(...out.map((o) => viewOf(o.message)))).toBe(futureViewFloodDistance)
  })
})

describe('withholding-leader', () => {
  it('sends the proposal of every other view it leads to only f validators, the lowest indices', () => {
    const behaviour = behaviourOf('withholding-leader')
    const first = behaviour.outgoing(proposalIn(1), others)
    expect(first).toEqual([{ to: 0, message: proposalIn(1) }])
    expect(first.length).toBe(faultTolerance(n))
    behaviour.outgoing(proposalIn(5), others)
    const third = behaviour.outgoing(proposalIn(9), others)
    expect(recipientsOf(third)).toEqual([0])
  })

  it('sends the others to everyone, just before the view timeout', () => {
    const behaviour = behaviourOf('withholding-leader')
    behaviour.outgoing(proposalIn(1), others)
    const second = behaviour.outgoing(proposalIn(5), others)
    expect(second).toEqual(others.map((to) => ({ to, message: proposalIn(5), delayMs: withholdingDelayMs })))
    expect(withholdingDelayMs).toBeLessThan(fx.state.config.params.viewTimeoutBaseMs)
    // A proposal sent again in the same view gets the same treatment.
    expect(behaviour.outgoing(proposalIn(5), others)).toEqual(second)
  })

  it('withholds from all but f = 2 of 7', () => {
    const behaviour = byzantineFixtures['withholding-leader'](
      byzantineContext(fx, self, 1, { validatorCount: 7 }),
    )
    expect(recipientsOf(behaviour.outgoing(proposalIn(1), [0, 2, 3, 4, 5, 6]))).toEqual([0, 2])
  })

  it('sends votes and timeouts honestly', () => {
    const behaviour = behaviourOf('withholding-leader')
    for (const message of [ownVote(5, hashOf(blocks[5]!)), ownTimeout(6, qc5)]) {
      expect(behaviour.outgoing(message, others)).toEqual(others.map((to) => ({ to, message })))
    }
  })
})

describe('invalid-block', () => {
  const honest = blocks[5]!
  const parent = blocks[4]!
  const { blockTxCountMax } = fx.state.config.params

  const variants = (): Proposal[] => {
    const behaviour = behaviourOf('invalid-block')
    return invalidBlockKinds.map(() => {
      const out = behaviour.outgoing(proposalIn(5), others)
      expect(recipientsOf(out)).toEqual(others)
      expect(uniqueProposals(proposalsIn(out)).length).toBe(1)
      return proposalsIn(out)[0]!
    })
  }

  /** Header fields that differ from the honest block's (txRoot only counts when the txs are unchanged). */
  const changedFields = (block: Block): string[] =>
    (Object.keys(honest.header) as (keyof Block['header'])[]).filter(
      (key) => toHex(encodeField(block.header[key])) !== toHex(encodeField(honest.header[key])),
    )

  it('breaks one named block rule per proposal, cycling through all seven, and signs each validly', () => {
    const proposals = variants()
    proposals.forEach((proposal, i) => {
      const kind = invalidBlockKinds[i]!
      const { header, txs } = proposal.block
      // Signatures, certificates and the leader are all in order.
      expect(rejection({ kind: 'proposal', proposal })).toBe('ok')
      expect(header.txRoot).toEqual(txRoot(txs))
      const txsChanged = kind === 'bad-tx-signature' || kind === 'too-many-txs'
      const expectedFields: Record<typeof kind, string[]> = {
        'wrong-parent': ['parentHash'],
        'wrong-height': ['height'],
        'timestamp-not-after-parent': ['timestampMs'],
        'timestamp-far-future': ['timestampMs'],
        'wrong-state-root': ['stateRoot'],
        'bad-tx-signature': ['txRoot'],
        'too-many-txs': ['txRoot'],
      }
      expect(changedFields(proposal.block)).toEqual(expectedFields[kind])
      if (!txsChanged) expect(txs).toEqual(honest.txs)
      switch (kind) {
        case 'wrong-parent':
          expect(header.parentHash).not.toEqual(header.justify.blockHash)
          break
        case 'wrong-height':
          expect(header.height).not.toBe(parent.header.height + 1)
          break
        case 'timestamp-not-after-parent':
          expect(header.timestampMs).toBeLessThanOrEqual(parent.header.timestampMs)
          break
        case 'timestamp-far-future':
          expect(header.timestampMs).toBe(honest.header.timestampMs + farFutureMs)
          break
        case 'wrong-state-root':
          expect(header.stateRoot).not.toEqual(honest.header.stateRoot)
          break
        case 'bad-tx-signature': {
          expect(txs.length).toBe(1)
          const tx = txs[0]!
          expect(verify(tx.signature, txSigningBytes(tx), tx.from)).toBe(false)
          expect(rejection({ kind: 'proposal', proposal }, fullVerifier(fx))).toBe('invalid-tx')
          break
        }
        case 'too-many-txs':
          expect(txs.length).toBe(blockTxCountMax + 1)
          expect(new Set(txs.map((tx) => tx.nonce)).size).toBe(txs.length)
          expect(rejection({ kind: 'proposal', proposal }, fullVerifier(fx))).toBe('ok')
          break
      }
    })
  })

  it('an honest replica votes for the honest block and for none of the invalid ones', () => {
    expect(votesIn(honestReplicaDelivered(fx.proposal(honest)))).toEqual([5])
    variants().forEach((proposal, i) => {
      const refusedByVerifier = rejection({ kind: 'proposal', proposal }, fullVerifier(fx)) !== 'ok'
      const voted = !refusedByVerifier && votesIn(honestReplicaDelivered(proposal)).includes(5)
      expect({ kind: invalidBlockKinds[i], voted }).toEqual({ kind: invalidBlockKinds[i], voted: false })
    })
  })

  it('leaves out the oversized block when the chain maximum is already the codec maximum', () => {
    const context = byzantineContext(fx, self, 1, { blockTxCountMax: 2_000 })
    expect(invalidBlockKindsFor(context)).not.toContain('too-many-txs')
    expect(invalidBlockKindsFor(byzantineContext(fx, self))).toEqual(invalidBlockKinds)
  })

  it('sends votes, timeouts and other leaders’ proposals honestly', () => {
    const behaviour = behaviourOf('invalid-block')
    for (const message of [ownVote(5, hashOf(honest)), ownTimeout(6, qc5), proposalIn(6)]) {
      expect(behaviour.outgoing(message, others)).toEqual(others.map((to) => ({ to, message })))
    }
  })
})

// --- helpers ---------------------------------------------------------------------------------------------

function uniqueProposals(proposals: readonly Proposal[]): Proposal[] {
  const byHash = new Map<string, Proposal>()
  for (const proposal of proposals) byHash.set(toHex(blockHash(proposal.block.header)), proposal)
  return [...byHash.values()]
}

/**
 * A fresh honest replica (index 2) that has followed blocks 1..4 (executing each commit), then receives
 * `proposal` for view 5. Returns the actions of that delivery, executions included.
 */
function honestReplicaDelivered(proposal: Proposal): ConsensusAction[] {
  const replica = new ConsensusFixture(2)
  replica.input({ kind: 'start', nowMs: 0 })
  const deliver = (delivered: Proposal): ConsensusAction[] => {
    const actions = replica.input({ kind: 'proposal', proposal: delivered, nowMs: 1_000_000 })
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!
      if (action.kind !== 'commit') continue
      for (const committed of action.blocks) {
        const height = committed.block.header.height
        actions.push(...replica.input({ kind: 'executed', height, stateRoot: fx.genesisStateRoot }))
      }
    }
    return actions
  }
  for (let view = 1; view <= 4; view++) expect(votesIn(deliver(fx.proposal(blocks[view]!)))).toEqual([view])
  return deliver(proposal)
}

function signatureOf(message: ConsensusMessage): Signature {
  switch (message.kind) {
    case 'proposal':
      return message.proposal.signature
    case 'vote':
      return message.vote.signature
    case 'timeout':
      return message.timeout.signature
    case 'timeout-certificate':
      // A relayed TC carries no signature of the sender's own: its first signer's stands in.
      return message.tc.signatures[0]!
  }
}

function withSignature(message: ConsensusMessage, signature: Signature): ConsensusMessage {
  switch (message.kind) {
    case 'proposal':
      return { kind: 'proposal', proposal: { ...message.proposal, signature } }
    case 'vote':
      return { kind: 'vote', vote: { ...message.vote, signature } }
    case 'timeout':
      return { kind: 'timeout', timeout: { ...message.timeout, signature } }
    case 'timeout-certificate': {
      const signatures = message.tc.signatures.map((each, i) => (i === 0 ? signature : each))
      return { kind: 'timeout-certificate', tc: { ...message.tc, signatures } }
    }
  }
}

function viewOf(message: ConsensusMessage): number {
  switch (message.kind) {
    case 'proposal':
      return message.proposal.block.header.view
    case 'vote':
      return message.vote.view
    case 'timeout':
      return message.timeout.view
    case 'timeout-certificate':
      return message.tc.view
  }
}

function differingBits(a: Uint8Array, b: Uint8Array): number {
  let count = 0
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!
    for (; x !== 0; x >>= 1) count += x & 1
  }
  return count
}

function encodeField(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  return new TextEncoder().encode(JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? toHex(v) : v)))
}

/** Does `signature`, as validator `signer`'s, verify over any of `candidates`? */
function verifiesOverAny(signer: number, signature: Signature, candidates: readonly Uint8Array[]): boolean {
  const key = fx.validators[signer]
  return key !== undefined && candidates.some((message) => verify(signature, message, key))
}

/** Which one defect a forged certificate has (checked in the order the kinds exclude each other). */
function classifyParts(
  signers: readonly number[],
  signatures: readonly Signature[],
  ownBytes: (signer: number) => Uint8Array,
  otherViewBytes: readonly Uint8Array[],
): ForgeryKind | 'unclassified' {
  if (signers.some((signer) => signer >= n)) return 'non-validator-signer'
  if (signers.length < quorum) return 'below-quorum'
  if (distinctHex(signatures).size < signatures.length) return 'duplicate-signer'
  const genuine = signers.filter((signer, i) =>
    verify(signatures[i]!, ownBytes(signer), fx.validators[signer]!),
  )
  if (genuine.length === signers.length) return 'unclassified' // a valid certificate: no defect at all
  if (signers.some((signer, i) => verifiesOverAny(signer, signatures[i]!, otherViewBytes))) {
    return 'other-view-signatures'
  }
  return genuine.length === 0 ? 'random-signatures' : 'unclassified'
}

function classifyQC(qc: QuorumCertificate): ForgeryKind | 'unclassified' {
  // Votes of other views: every block of the chain, and this block's hash under nearby views.
  const otherViews = [
    ...blocks
      .filter((block) => block.header.view !== qc.view)
      .map((block) => [block.header.view, hashOf(block)] as const),
    ...Array.from({ length: 8 }, (_, k) => [qc.view + 1 + k, qc.blockHash] as const),
  ].map(([view, hash]) => voteSigningBytes(fx.chainId, view, hash))
  const own = voteSigningBytes(fx.chainId, qc.view, qc.blockHash)
  return classifyParts(qc.signers, qc.signatures, () => own, otherViews)
}

function classifyTC(tc: TimeoutCertificate): ForgeryKind | 'unclassified' {
  const highQCViewOf = (signer: number) => tc.highQCViews[tc.signers.indexOf(signer)]!
  const otherViews = [...new Set(tc.highQCViews)].flatMap((highQCView) =>
    Array.from({ length: 12 }, (_, view) => view)
      .filter((view) => view !== tc.view)
      .map((view) => timeoutSigningBytes(fx.chainId, view, highQCView)),
  )
  return classifyParts(
    tc.signers,
    tc.signatures,
    (signer) => timeoutSigningBytes(fx.chainId, tc.view, highQCViewOf(signer)),
    otherViews,
  )
}
