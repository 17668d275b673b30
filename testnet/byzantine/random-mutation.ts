// Random mutation: otherwise valid, signed messages with one field changed. For each recipient of each consensus
// message its honest core sends, half of the time the recipient gets a copy with one field changed instead
// (mutation.ts: view, height, hashes, signer indices, QC and TC fields, signatures; its own messages re-signed
// half of the time, so the signature verifies and the meaning is wrong). The frames of the other protocols
// (sync requests and replies, transaction gossip, evidence gossip) get the same: half are sent with one field
// changed, and one in sixteen with its bytes damaged instead. Field mutations keep the message encodable, so
// they reach the receivers' checks behind the decoder; on every tick, one of its recent consensus messages also
// goes to a random validator with damaged bytes, most of which no longer decode.
//
// An honest validator must refuse every mutated message for what is wrong with it (a counted, attributed
// rejection, never a crash or a stall), accept the honest copies, and never blame another validator for a
// message this one mutated.

import { encodeConsensusMessage } from '../../ledger/codec/index.js'
import type { ConsensusMessage } from '../../ledger/types.js'
import type { ProtocolName } from '../../node/env/network.js'
import {
  evidenceFrame,
  type RawFrame,
  readEvidenceFrame,
  readSyncFrame,
  readTxFrame,
  syncFrame,
  txFrame,
} from './frames.js'
import { otherValidators } from './messages.js'
import {
  mutateBytes,
  mutateConsensusMessage,
  mutateEvidence,
  mutateSyncMessage,
  mutateTx,
} from './mutation.js'
import { pick } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

/** The share of copies (and frames) that are mutated. */
export const randomMutationShare = 0.5
/** The share of other-protocol frames whose bytes are damaged instead. */
export const randomMutationBytesShare = 1 / 16
/** Recent consensus messages kept for the damaged-bytes copies (oldest forgotten first). */
export const randomMutationMemoryCountMax = 16

export const randomMutationFixture: ByzantineFactory = (context) => {
  const others = otherValidators(context)
  const recent: ConsensusMessage[] = []

  const fieldMutated = (
    protocol: Exclude<ProtocolName, 'consensus'>,
    to: number,
    frame: Uint8Array,
  ): RawFrame => {
    const n = context.validatorCount
    switch (protocol) {
      case 'sync': {
        const message = readSyncFrame(frame)
        if (message !== undefined) return syncFrame(to, mutateSyncMessage(context.random, message, n))
        break
      }
      case 'tx': {
        const tx = readTxFrame(frame)
        if (tx !== undefined) return txFrame(to, mutateTx(context.random, tx))
        break
      }
      case 'evidence': {
        const evidence = readEvidenceFrame(frame)
        if (evidence !== undefined) return evidenceFrame(to, mutateEvidence(context.random, evidence, n))
        break
      }
    }
    return { to, protocol, frame: mutateBytes(context.random, frame) }
  }

  return {
    name: 'random-mutation',
    outgoing: (message, to) => {
      if (recent.length >= randomMutationMemoryCountMax) recent.shift()
      recent.push(message)
      return to.map(
        (recipient): Outgoing => ({
          to: recipient,
          message:
            context.random() < randomMutationShare ? mutateConsensusMessage(context, message) : message,
        }),
      )
    },
    outgoingFrame: (protocol, to, frame) => {
      const draw = context.random()
      if (draw < randomMutationBytesShare)
        return [{ to, protocol, frame: mutateBytes(context.random, frame) }]
      if (draw < randomMutationBytesShare + randomMutationShare) return [fieldMutated(protocol, to, frame)]
      return [{ to, protocol, frame }]
    },
    tickFrames: () => {
      if (recent.length === 0 || others.length === 0) return []
      const frame = mutateBytes(context.random, encodeConsensusMessage(pick(context.random, recent)))
      return [{ to: pick(context.random, others), protocol: 'consensus', frame }]
    },
  }
}
