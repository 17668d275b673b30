// A validator that signs two conflicting messages for one view and shows each to half of the others:
// - votes: half get the honest vote, half a signed vote for a different block hash in the same view (the block
//   it voted for before, usually the parent, or else a random hash);
// - timeouts: half get the honest timeout, half a signed timeout for the same view with a different highQC (the
//   genesis QC; when the honest highQC is already genesis there is no other valid QC to claim, so it sends the
//   honest one only).
// Each message on its own verifies. Receivers must record the pair as evidence and count the sender once.

import { bytesEqual } from '../../crypto/hex.js'
import type { ConsensusMessage, Hash } from '../../ledger/types.js'
import {
  genesisQC,
  signTimeout,
  signVote,
  splitInHalves,
  timeoutMessage,
  toEach,
  voteMessage,
} from './messages.js'
import { randomBytes } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

interface Conflict {
  readonly kind: 'vote' | 'timeout'
  readonly view: number
  readonly message: ConsensusMessage
}

export const doubleVoterFixture: ByzantineFactory = (context) => {
  let previousVotedHash: Hash | null = null
  // The last conflicting message, reused while the core re-sends the same vote or timeout (it repeats its
  // timeout on every expiry), so each view has exactly two versions.
  let lastConflict: Conflict | null = null

  const conflictingVote = (view: number, hash: Hash): ConsensusMessage => {
    if (lastConflict?.kind === 'vote' && lastConflict.view === view) return lastConflict.message
    const other =
      previousVotedHash !== null && !bytesEqual(previousVotedHash, hash)
        ? previousVotedHash
        : randomBytes(context.random, 32)
    const message = voteMessage(signVote(context, view, other))
    lastConflict = { kind: 'vote', view, message }
    return message
  }

  const conflictingTimeout = (view: number): ConsensusMessage => {
    if (lastConflict?.kind === 'timeout' && lastConflict.view === view) return lastConflict.message
    const message = timeoutMessage(signTimeout(context, view, genesisQC(context)))
    lastConflict = { kind: 'timeout', view, message }
    return message
  }

  const split = (honest: ConsensusMessage, conflict: ConsensusMessage, to: readonly number[]): Outgoing[] => {
    const [honestHalf, conflictHalf] = splitInHalves(context.random, to)
    return [...toEach(honest, honestHalf), ...toEach(conflict, conflictHalf)]
  }

  return {
    name: 'double-voter',
    outgoing: (message, to) => {
      switch (message.kind) {
        case 'proposal':
        case 'timeout-certificate':
          return toEach(message, to)
        case 'vote': {
          const { view, blockHash } = message.vote
          const conflict = conflictingVote(view, blockHash)
          previousVotedHash = blockHash
          return split(message, conflict, to)
        }
        case 'timeout':
          if (message.timeout.highQC.view === 0) return toEach(message, to)
          return split(message, conflictingTimeout(message.timeout.view), to)
      }
    },
  }
}
