// Honest, and in addition replays old messages of its own to random validators: receivers must ignore stale
// views, not double-count a vote or timeout they already hold, and not grow any buffer because of them.

import type { ConsensusMessage } from '../../ledger/types.js'
import { otherValidators, toEach } from './messages.js'
import { pick } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

/** How many sent messages it remembers (oldest forgotten first). */
export const staleReplayMemoryCountMax = 256
/** How many old messages it re-sends on each tick. */
export const staleReplayCountPerTick = 3

export const staleReplayFixture: ByzantineFactory = (context) => {
  const sent: ConsensusMessage[] = []
  let nextSlot = 0
  const others = otherValidators(context)
  return {
    name: 'stale-replay',
    outgoing: (message, to) => {
      if (sent.length < staleReplayMemoryCountMax) sent.push(message)
      else sent[nextSlot] = message
      nextSlot = (nextSlot + 1) % staleReplayMemoryCountMax
      return toEach(message, to)
    },
    tick: () => {
      if (sent.length === 0 || others.length === 0) return []
      const replays: Outgoing[] = []
      for (let i = 0; i < staleReplayCountPerTick; i++) {
        replays.push({ to: pick(context.random, others), message: pick(context.random, sent) })
      }
      return replays
    },
  }
}
