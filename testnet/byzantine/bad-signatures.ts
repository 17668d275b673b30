// Every message it sends carries a signature with one bit flipped: receivers must reject each one with
// 'bad-signature' (before it reaches the core), count it, and go on. Only the signature is touched. A relayed
// TC has no signature of ours, so one of its signers' signatures is flipped instead ('invalid-tc').

import type { ConsensusMessage } from '../../ledger/types.js'
import { type Random, withOneBitFlipped } from './random.js'
import type { ByzantineFactory } from './types.js'

function withBadSignature(random: Random, message: ConsensusMessage): ConsensusMessage {
  switch (message.kind) {
    case 'proposal': {
      const signature = withOneBitFlipped(random, message.proposal.signature)
      return { kind: 'proposal', proposal: { ...message.proposal, signature } }
    }
    case 'vote':
      return {
        kind: 'vote',
        vote: { ...message.vote, signature: withOneBitFlipped(random, message.vote.signature) },
      }
    case 'timeout': {
      const signature = withOneBitFlipped(random, message.timeout.signature)
      return { kind: 'timeout', timeout: { ...message.timeout, signature } }
    }
    case 'timeout-certificate': {
      const signatures = message.tc.signatures.map((signature, i) =>
        i === 0 ? withOneBitFlipped(random, signature) : signature,
      )
      return { kind: 'timeout-certificate', tc: { ...message.tc, signatures } }
    }
  }
}

export const badSignaturesFixture: ByzantineFactory = (context) => ({
  name: 'bad-signatures',
  outgoing: (message, to) => {
    // One corruption per message, the same bytes to every recipient (as a faulty signer would produce).
    const corrupted = withBadSignature(context.random, message)
    return to.map((recipient) => ({ to: recipient, message: corrupted }))
  },
})
