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
//   twins                (not here: two replicas sharing one key, arranged by the simulator; see registry.ts)

export { amnesiaFixture } from './amnesia.js'
export { badSignaturesFixture } from './bad-signatures.js'
export { doubleVoterFixture } from './double-voter.js'
export { equivocatingLeaderFixture, twinBlock } from './equivocating-leader.js'
export { forgedCertificatesFixture } from './forged-certificates.js'
export { type ForgeryKind, forgeQC, forgeryKinds, forgeTC } from './forgery.js'
export {
  futureViewFloodBurstCount,
  futureViewFloodDistance,
  futureViewFloodFixture,
} from './future-view-flood.js'
export {
  farFutureMs,
  type InvalidBlockKind,
  invalidBlockFixture,
  invalidBlockKinds,
  invalidBlockKindsFor,
} from './invalid-block.js'
export {
  type ByzantineName,
  byzantineFixtures,
  byzantineNames,
  isByzantineName,
  parseByzantineName,
  twinsFixtureName,
  UnknownByzantineNameError,
} from './registry.js'
export { silentFixture } from './silent.js'
export { staleReplayCountPerTick, staleReplayFixture, staleReplayMemoryCountMax } from './stale-replay.js'
export type { ByzantineBehaviour, ByzantineContext, ByzantineFactory, Outgoing } from './types.js'
export { withholdingDelayMs, withholdingLeaderFixture } from './withholding-leader.js'
