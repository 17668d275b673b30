// Replay of other validators' messages: a relay that repeats what others signed. Honest in its own consensus
// messages; it keeps the consensus frames peers send it (proposals, votes, timeouts, TCs, as they arrived) and on
// every tick re-sends a few of them, old and new, unchanged, to random validators, their own signers included.
// Every one of them is genuine: it verifies, and it is a duplicate (or a stale message) for whoever gets it.
//
// An honest validator must take a replayed message for what it is (count a vote or timeout once per signer,
// ignore stale views, never record evidence against a validator for a message repeated unchanged), never blame
// or penalise the validator that signed it for what another peer forwarded, and grow nothing because of it.

import { type RawFrame, readConsensusFrame } from './frames.js'
import { otherValidators, toEach } from './messages.js'
import { pick } from './random.js'
import type { ByzantineFactory } from './types.js'

/** Frames re-sent per tick. */
export const replayOthersCountPerTick = 8
/** Frames kept for replay, by count and by bytes (a proposal frame can be a full block); oldest forgotten first. */
export const replayOthersMemoryCountMax = 256
export const replayOthersMemoryBytesMax = 4 * 1_048_576

export const replayOthersFixture: ByzantineFactory = (context) => {
  const others = otherValidators(context)
  const kept: Uint8Array[] = []
  let keptBytes = 0

  const keep = (frame: Uint8Array): void => {
    if (frame.length > replayOthersMemoryBytesMax) return
    kept.push(frame)
    keptBytes += frame.length
    while (kept.length > replayOthersMemoryCountMax || keptBytes > replayOthersMemoryBytesMax) {
      keptBytes -= (kept.shift() as Uint8Array).length
    }
  }

  return {
    name: 'replay-others',
    outgoing: toEach,
    incoming: (protocol, _from, frame) => {
      // Only what decodes: a replay is a genuine message, not junk.
      if (protocol === 'consensus' && readConsensusFrame(frame) !== undefined) keep(frame)
      return { pass: true }
    },
    tickFrames: () => {
      if (kept.length === 0 || others.length === 0) return []
      const out: RawFrame[] = []
      for (let k = 0; k < replayOthersCountPerTick; k++) {
        out.push({
          to: pick(context.random, others),
          protocol: 'consensus',
          frame: pick(context.random, kept),
        })
      }
      return out
    },
  }
}
