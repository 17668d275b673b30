// Honest, and on every tick floods properly signed timeouts and votes for views far beyond anything seen
// (1000+ views ahead, genesis highQC): receivers must drop them (they are past the future-view window) without
// buffering them, joining those views, or spending more than a bounded effort per message.

import type { ConsensusMessage } from '../../ledger/types.js'
import {
  genesisQC,
  messageView,
  otherValidators,
  signTimeout,
  signVote,
  timeoutMessage,
  toEach,
  voteMessage,
} from './messages.js'
import { randomBytes } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

/** Messages per tick, each for its own view: timeouts for even views, votes for odd ones. */
export const futureViewFloodBurstCount = 50
/** How far past the highest view it has seen the flood starts. */
export const futureViewFloodDistance = 1_000
/** Signed flood messages kept for reuse, so a flood costs signatures only for views not flooded before. */
const signedCacheCountMax = 4 * futureViewFloodBurstCount

export const futureViewFloodFixture: ByzantineFactory = (context) => {
  const others = otherValidators(context)
  const signed = new Map<number, ConsensusMessage>()
  let maxSeenView = 0
  let tickCount = 0

  // The kind follows the view's parity, so a cached message is the one that view would get anyway.
  const floodMessage = (view: number): ConsensusMessage => {
    const cached = signed.get(view)
    if (cached !== undefined) return cached
    const message =
      view % 2 === 0
        ? timeoutMessage(signTimeout(context, view, genesisQC(context)))
        : voteMessage(signVote(context, view, randomBytes(context.random, 32)))
    if (signed.size >= signedCacheCountMax) signed.delete(signed.keys().next().value as number)
    signed.set(view, message)
    return message
  }

  return {
    name: 'future-view-flood',
    outgoing: (message, to) => {
      maxSeenView = Math.max(maxSeenView, messageView(message))
      return toEach(message, to)
    },
    tick: () => {
      if (others.length === 0) return []
      const flood: Outgoing[] = []
      const base = maxSeenView + futureViewFloodDistance
      for (let k = 0; k < futureViewFloodBurstCount; k++) {
        // Round-robin over the others, shifted each tick, so each receives its share of the burst.
        const to = others[(tickCount + k) % others.length] as number
        flood.push({ to, message: floodMessage(base + k) })
      }
      tickCount++
      return flood
    },
  }
}
