// The malicious-node fixtures by CLI name (`quorate start --byzantine NAME`, the simulator's node specs).

import { amnesiaFixture } from './amnesia.js'
import { badSignaturesFixture } from './bad-signatures.js'
import { doubleVoterFixture } from './double-voter.js'
import { equivocatingLeaderFixture } from './equivocating-leader.js'
import { evidenceSpamFixture } from './evidence-spam.js'
import { forgedCertificatesFixture } from './forged-certificates.js'
import { futureViewFloodFixture } from './future-view-flood.js'
import { heightBombFixture } from './height-bomb.js'
import { invalidBlockFixture } from './invalid-block.js'
import { oldViewSpamFixture } from './old-view-spam.js'
import { qcReplayFixture } from './qc-replay.js'
import { randomMutationFixture } from './random-mutation.js'
import { replayOthersFixture } from './replay-others.js'
import { silentFixture } from './silent.js'
import { staleReplayFixture } from './stale-replay.js'
import { stateRootLiarFixture } from './state-root-liar.js'
import { streamHogFixture } from './stream-hog.js'
import { syncLiarFixture } from './sync-liar.js'
import { syncRequestFloodFixture } from './sync-request-flood.js'
import { tcEchoFixture } from './tc-echo.js'
import { tcInflaterFixture } from './tc-inflater.js'
import { txSpamFixture } from './tx-spam.js'
import type { ByzantineFactory } from './types.js'
import { withholdingLeaderFixture } from './withholding-leader.js'

export const byzantineNames = [
  'silent',
  'equivocating-leader',
  'double-voter',
  'forged-certificates',
  'bad-signatures',
  'stale-replay',
  'future-view-flood',
  'withholding-leader',
  'invalid-block',
  'amnesia',
  'height-bomb',
  'qc-replay',
  'sync-liar',
  'state-root-liar',
  'old-view-spam',
  'evidence-spam',
  'stream-hog',
  'random-mutation',
  'sync-request-flood',
  'tx-spam',
  'replay-others',
  'tc-echo',
  'tc-inflater',
] as const
export type ByzantineName = (typeof byzantineNames)[number]

export const byzantineFixtures: Readonly<Record<ByzantineName, ByzantineFactory>> = Object.freeze({
  silent: silentFixture,
  'equivocating-leader': equivocatingLeaderFixture,
  'double-voter': doubleVoterFixture,
  'forged-certificates': forgedCertificatesFixture,
  'bad-signatures': badSignaturesFixture,
  'stale-replay': staleReplayFixture,
  'future-view-flood': futureViewFloodFixture,
  'withholding-leader': withholdingLeaderFixture,
  'invalid-block': invalidBlockFixture,
  amnesia: amnesiaFixture,
  'height-bomb': heightBombFixture,
  'qc-replay': qcReplayFixture,
  'sync-liar': syncLiarFixture,
  'state-root-liar': stateRootLiarFixture,
  'old-view-spam': oldViewSpamFixture,
  'evidence-spam': evidenceSpamFixture,
  'stream-hog': streamHogFixture,
  'random-mutation': randomMutationFixture,
  'sync-request-flood': syncRequestFloodFixture,
  'tx-spam': txSpamFixture,
  'replay-others': replayOthersFixture,
  'tc-echo': tcEchoFixture,
  'tc-inflater': tcInflaterFixture,
})

/**
 * Twins is not a behaviour: it is two replicas running one validator's key (each honest on its own), which
 * the simulator and the testnet runner arrange. The name is reserved so that it is never a fixture.
 */
export const twinsFixtureName = 'twins'

export class UnknownByzantineNameError extends Error {
  static override name = 'UnknownByzantineNameError'
  override name = 'UnknownByzantineNameError'
}

export function isByzantineName(text: string): text is ByzantineName {
  return (byzantineNames as readonly string[]).includes(text)
}

/** The fixture name given on a command line; throws with the valid names if it is not one. */
export function parseByzantineName(text: string): ByzantineName {
  if (isByzantineName(text)) return text
  const valid = `valid names: ${byzantineNames.join(', ')}`
  if (text === twinsFixtureName) {
    throw new UnknownByzantineNameError(
      `'${twinsFixtureName}' is not a behaviour but two replicas sharing one key (run by the simulator or ` +
        `the testnet runner, not by --byzantine); ${valid}`,
    )
  }
  throw new UnknownByzantineNameError(`unknown byzantine fixture ${JSON.stringify(text)}; ${valid}`)
}
