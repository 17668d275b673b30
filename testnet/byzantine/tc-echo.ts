// TC echo: timeouts for views the receivers have left. Honest otherwise; on every tick it sends every other
// validator a burst of validly signed timeouts (genesis highQC) for recent views below the current one. A
// replica that left such a view by a TC relays that TC to the sender of a timeout for it, so each of these small
// messages asks for a TC back (up to a quorum of signatures): a reflection, and the same old timeout may be sent
// again and again. The signed timeouts are cached, so the attack costs it no signing once warmed up.
//
// An honest validator must bound the relays it sends one peer (once per view and peer, or per second), never let
// them crowd out its messages to others, and not treat repeated old timeouts as anything new.

import type { ConsensusMessage } from '../../ledger/types.js'
import { genesisQC, otherValidators, signTimeout, timeoutMessage, toEach } from './messages.js'
import { ChainObserver, watchingHooks } from './observed-chain.js'
import { randomInt } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

/** Old timeouts per tick, each to every other validator. */
export const tcEchoBurstCount = 16
/** How far below the current view they go. */
export const tcEchoViewSpan = 64
/** Signed timeouts cached, one per view (oldest forgotten first). */
export const tcEchoCacheCountMax = 2 * tcEchoViewSpan

export const tcEchoFixture: ByzantineFactory = (context) => {
  const observer = new ChainObserver()
  const others = otherValidators(context)
  const signed = new Map<number, ConsensusMessage>()

  const timeoutFor = (view: number): ConsensusMessage => {
    const cached = signed.get(view)
    if (cached !== undefined) return cached
    const message = timeoutMessage(signTimeout(context, view, genesisQC(context)))
    if (signed.size >= tcEchoCacheCountMax) signed.delete(signed.keys().next().value as number)
    signed.set(view, message)
    return message
  }

  return {
    name: 'tc-echo',
    ...watchingHooks(observer),
    tick: () => {
      // Views 1 .. current − 1, at most tcEchoViewSpan below the current one.
      const span = Math.min(tcEchoViewSpan, observer.view - 1)
      if (span <= 0 || others.length === 0) return []
      const out: Outgoing[] = []
      for (let k = 0; k < tcEchoBurstCount; k++) {
        out.push(...toEach(timeoutFor(observer.view - 1 - randomInt(context.random, span)), others))
      }
      return out
    },
  }
}
