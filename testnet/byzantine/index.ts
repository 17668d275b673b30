// Malicious-node fixtures: one library for the deterministic simulator (test/sim) and for a real validator
// process (`quorate start --byzantine NAME`, testnet mode only). Each wraps an honest replica's core and
// rewrites what it sends (types.ts); all randomness comes from `context.random`, so a seeded run replays.
//
//   silent               sends nothing
//   equivocating-leader  two valid blocks per view it leads, one to each half (and a vote for each, per half)
//   double-voter         two signed votes (and two timeouts) per view, one to each half
//   forged-certificates  forged justify QC / added lastViewTC / timeout highQC, re-signed (forgery.ts kinds)
//   bad-signatures       one bit flipped in every signature
//   stale-replay         honest, plus replays of its own old messages to random validators
//   future-view-flood    honest, plus bursts of signed votes and timeouts 1000+ views ahead
//   withholding-leader   proposals to only f validators, or (every other view it leads) to all after 900 ms
//   invalid-block        proposals breaking one block rule each (parent, height, timestamp, state root, txs)
//   amnesia              honest, but restarts with its safety state wiped (same key)
//
// Attacks on the layers around the consensus core (sync, fetching, evidence, gossip, peers), each honest
// except for what it names:
//   height-bomb          proposals signed as leader claiming absurd heights, genesis justify: forged sync triggers
//   qc-replay            bursts of its own timeouts carrying old real QCs: fetches of committed history
//   sync-liar            lying heads (forged QC), wrong `blocks`, bodiless `block`s, unsolicited replies
//   state-root-liar      a block with a wrong state root, fetched first via a bait proposal, then proposed
//   old-view-spam        two signed proposals per old view it led (parents it serves itself, or certified)
//   evidence-spam        fresh valid evidence against itself per peer and tick, plus duplicates and junk
//   stream-hog           reads nothing: its inbound streams stall and its peers' queues to it fill
//   random-mutation      one field changed in half of what it sends (re-signed half of the time), on all protocols
//   sync-request-flood   sync requests just under the rate limit, the costliest to serve, never awaited
//   tx-spam              well-signed transfers from empty accounts, replays of real ones, and junk
//   replay-others        other validators' signed messages, replayed unchanged to random validators
//   tc-echo              signed timeouts for left views, each asking for a TC relay back
//   twins                (not here: two replicas sharing one key, arranged by the simulator; see registry.ts)

export { amnesiaFixture } from './amnesia.js'
export { badSignaturesFixture } from './bad-signatures.js'
export { doubleVoterFixture } from './double-voter.js'
export { equivocatingLeaderFixture, twinBlock } from './equivocating-leader.js'
export {
  type EvidenceSpamExtraKind,
  evidenceSpamExtraEveryTicks,
  evidenceSpamExtraKinds,
  evidenceSpamFixture,
  evidenceSpamFreshKinds,
  evidenceSpamFreshPerPeerPerTick,
  evidenceSpamMemoryCountMax,
} from './evidence-spam.js'
export { forgedCertificatesFixture } from './forged-certificates.js'
export { type ForgeryKind, forgeQC, forgeryKinds, forgeTC } from './forgery.js'
export {
  futureViewFloodBurstCount,
  futureViewFloodDistance,
  futureViewFloodFixture,
} from './future-view-flood.js'
export {
  type HeightBombKind,
  heightBombCacheCountMax,
  heightBombDistanceMin,
  heightBombFixture,
  heightBombKinds,
} from './height-bomb.js'
export {
  farFutureMs,
  type InvalidBlockKind,
  invalidBlockFixture,
  invalidBlockKinds,
  invalidBlockKindsFor,
} from './invalid-block.js'
export {
  headerFields,
  mutateBytes,
  mutateConsensusMessage,
  mutateEvidence,
  mutateSyncMessage,
  mutateTx,
} from './mutation.js'
export { ChainObserver, observedProposalCountMax, observedQCCountMax } from './observed-chain.js'
export {
  type OldViewSpamKind,
  oldViewSpamFixture,
  oldViewSpamKinds,
  oldViewSpamServedCountMax,
  oldViewSpamViewsPerTick,
} from './old-view-spam.js'
export { qcReplayBurstCount, qcReplayFixture, qcReplayMemoryCountMax } from './qc-replay.js'
export {
  randomMutationBytesShare,
  randomMutationFixture,
  randomMutationMemoryCountMax,
  randomMutationShare,
} from './random-mutation.js'
export {
  type ByzantineName,
  byzantineFixtures,
  byzantineNames,
  isByzantineName,
  parseByzantineName,
  twinsFixtureName,
  UnknownByzantineNameError,
} from './registry.js'
export {
  replayOthersCountPerTick,
  replayOthersFixture,
  replayOthersMemoryBytesMax,
  replayOthersMemoryCountMax,
} from './replay-others.js'
export { silentFixture } from './silent.js'
export { staleReplayCountPerTick, staleReplayFixture, staleReplayMemoryCountMax } from './stale-replay.js'
export {
  stateRootLiarFixture,
  stateRootLiarProposalDelayMs,
  stateRootLiarSecondProposalDelayMs,
  stateRootLiarServedCountMax,
} from './state-root-liar.js'
export { streamHogFixture } from './stream-hog.js'
export {
  type SyncLiarBatchKind,
  type SyncLiarHeadKind,
  syncLiarBatchKinds,
  syncLiarFixture,
  syncLiarHeadKinds,
  syncLiarHeightLead,
  syncLiarMadeUpBlockCount,
  syncLiarUnsolicitedEveryTicks,
} from './sync-liar.js'
export {
  type SyncRequestFloodKind,
  syncRequestFloodFixture,
  syncRequestFloodKinds,
  syncRequestFloodPerPeerPerTick,
} from './sync-request-flood.js'
export { tcEchoBurstCount, tcEchoCacheCountMax, tcEchoFixture, tcEchoViewSpan } from './tc-echo.js'
export {
  type TxSpamJunkKind,
  txSpamFixture,
  txSpamFreshPerTick,
  txSpamJunkEveryTicks,
  txSpamJunkKinds,
  txSpamReplayMemoryCountMax,
  txSpamReplaysPerPeerPerTick,
} from './tx-spam.js'
export type {
  ByzantineBehaviour,
  ByzantineContext,
  ByzantineFactory,
  IncomingVerdict,
  Outgoing,
  RawFrame,
} from './types.js'
export { withholdingDelayMs, withholdingLeaderFixture } from './withholding-leader.js'
