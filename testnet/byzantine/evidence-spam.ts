// Evidence spam: a flood on the evidence gossip protocol. Honest in consensus; on every tick it sends each other
// validator its own piece of fresh, valid evidence against itself (it signs both halves: two votes for one view,
// two timeouts with different highQC views, or two proposals for a view it leads), always for a view it never
// used before, so every piece is new, verifies, and is stored and gossiped on. Each recipient gets a different
// piece, so every honest validator re-gossips what the others have not seen: the re-gossip fans out between
// honest validators. Every other tick each recipient also gets one extra frame, cycling through: a duplicate of
// earlier evidence, the same offence (kind, view, offender) with another pair, evidence with a bad signature,
// a double proposal for a view it does not lead, evidence naming a non-validator, and undecodable bytes.
//
// An honest validator must verify before it stores, store and re-gossip only within bounds (its pool, its
// outbound gossip budget per peer), drop duplicates without re-gossiping them, penalise the junk's sender, and
// never be made to send another honest validator more than that validator accepts from one peer: the spammer's
// rate must not turn into honest validators flooding (and then banning) each other.

import { validatorCountMax } from '../../ledger/limits.js'
import type { EvidenceRecord, Proposal, QuorumCertificate, Vote } from '../../ledger/types.js'
import { encodeEvidenceGossip } from '../../node/evidence/evidence-gossip.js'
import { blockWith } from './blocks.js'
import { evidenceFrame, type RawFrame } from './frames.js'
import {
  genesisQC,
  nextLedView,
  otherValidators,
  signProposal,
  signTimeout,
  signVote,
  toEach,
} from './messages.js'
import { pick, randomBytes, randomInt, withOneBitFlipped } from './random.js'
import type { ByzantineContext, ByzantineFactory } from './types.js'

/** The valid evidence it mints, cycling. */
export const evidenceSpamFreshKinds = ['double-vote', 'double-timeout', 'double-proposal'] as const
/** The extra frames, cycling. */
export const evidenceSpamExtraKinds = [
  'duplicate',
  'same-offence',
  'bad-signature',
  'unknown-validator',
  'undecodable',
] as const
export type EvidenceSpamExtraKind = (typeof evidenceSpamExtraKinds)[number]

/** Fresh evidence per recipient per tick (10 per second per peer at the 100 ms tick). */
export const evidenceSpamFreshPerPeerPerTick = 1
/** One extra frame per recipient every this many ticks. */
export const evidenceSpamExtraEveryTicks = 2
/** Evidence it sent, remembered for duplicates (oldest forgotten first). */
export const evidenceSpamMemoryCountMax = 64

type DoubleVote = Extract<EvidenceRecord, { kind: 'double-vote' }>

export const evidenceSpamFixture: ByzantineFactory = (context) => {
  const others = otherValidators(context)
  const sent: EvidenceRecord[] = []
  let nextView = 2
  let freshCount = 0
  let extraCount = 0
  let tickCount = 0

  const remember = (evidence: EvidenceRecord): EvidenceRecord => {
    if (sent.length >= evidenceSpamMemoryCountMax) sent.shift()
    sent.push(evidence)
    return evidence
  }

  const fresh = (): EvidenceRecord => {
    const kind = evidenceSpamFreshKinds[freshCount++ % evidenceSpamFreshKinds.length]
    const view = kind === 'double-proposal' ? nextLedView(context, nextView) : nextView
    nextView = view + 1
    switch (kind) {
      case 'double-vote':
        return doubleVote(context, view, context.selfIndex)
      case 'double-timeout':
        return doubleTimeout(context, view)
      default:
        return doubleProposal(context, view)
    }
  }

  const extra = (to: number): RawFrame => {
    const kind = evidenceSpamExtraKinds[extraCount++ % evidenceSpamExtraKinds.length] as EvidenceSpamExtraKind
    switch (kind) {
      case 'duplicate':
        return evidenceFrame(to, sent.length > 0 ? pick(context.random, sent) : remember(fresh()))
      case 'same-offence': {
        const earlier = sent.find((evidence): evidence is DoubleVote => evidence.kind === 'double-vote')
        if (earlier === undefined) return evidenceFrame(to, remember(fresh()))
        const second = signVote(context, earlier.view, randomBytes(context.random, 32))
        return evidenceFrame(to, { ...earlier, second })
      }
      case 'bad-signature': {
        const evidence = doubleVote(context, nextView++, context.selfIndex)
        const second = {
          ...evidence.second,
          signature: withOneBitFlipped(context.random, evidence.second.signature),
        }
        return evidenceFrame(to, { ...evidence, second })
      }
      case 'unknown-validator':
        if (context.validatorCount >= validatorCountMax) return evidenceFrame(to, fresh())
        return evidenceFrame(to, doubleVote(context, nextView++, context.validatorCount))
      case 'undecodable': {
        const bytes = encodeEvidenceGossip(fresh())
        return { to, protocol: 'evidence', frame: bytes.subarray(0, randomInt(context.random, bytes.length)) }
      }
    }
  }

  return {
    name: 'evidence-spam',
    outgoing: toEach,
    tickFrames: () => {
      const withExtra = tickCount++ % evidenceSpamExtraEveryTicks === 0
      const out: RawFrame[] = []
      for (const to of others) {
        for (let k = 0; k < evidenceSpamFreshPerPeerPerTick; k++)
          out.push(evidenceFrame(to, remember(fresh())))
        if (withExtra) out.push(extra(to))
      }
      return out
    },
  }
}

/** Two votes for one view, for different random blocks, both signed by us (under `voter`'s index). */
function doubleVote(context: ByzantineContext, view: number, voter: number): DoubleVote {
  const vote = (): Vote => ({ ...signVote(context, view, randomBytes(context.random, 32)), voter })
  return { kind: 'double-vote', view, first: vote(), second: vote() }
}

/** Two timeouts for one view (≥ 2) claiming different highQC views: the genesis QC's and a made-up one's. */
function doubleTimeout(context: ByzantineContext, view: number): EvidenceRecord {
  const otherHighQC: QuorumCertificate = {
    view: 1 + randomInt(context.random, view - 1),
    blockHash: randomBytes(context.random, 32),
    signers: [],
    signatures: [],
  }
  return {
    kind: 'double-timeout',
    view,
    first: signTimeout(context, view, genesisQC(context)),
    second: signTimeout(context, view, otherHighQC),
  }
}

/** Two different blocks for one view, each signed as its proposal by us. */
function doubleProposal(context: ByzantineContext, view: number): EvidenceRecord {
  const proposal = (): Proposal =>
    signProposal(
      context,
      blockWith({
        height: 1 + randomInt(context.random, view),
        view,
        parentHash: randomBytes(context.random, 32),
        justify: genesisQC(context),
        proposer: context.selfIndex,
        timestampMs: context.nowMs(),
        stateRoot: randomBytes(context.random, 32),
      }),
      null,
    )
  return { kind: 'double-proposal', view, first: proposal(), second: proposal() }
}
