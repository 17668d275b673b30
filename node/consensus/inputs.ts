import type { ConsensusMessage } from '../../ledger/types.js'
import type { ConsensusInput } from './types.js'

/** The core input for a decoded, verified consensus message received at `nowMs`. */
export function inputFromMessage(message: ConsensusMessage, nowMs: number): ConsensusInput {
  switch (message.kind) {
    case 'proposal':
      return { kind: 'proposal', proposal: message.proposal, nowMs }
    case 'vote':
      return { kind: 'vote', vote: message.vote }
    case 'timeout':
      return { kind: 'timeout', timeout: message.timeout }
    case 'timeout-certificate':
      return { kind: 'timeout-certificate', tc: message.tc }
  }
}
