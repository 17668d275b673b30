// A leader that withholds its proposal. Views it leads alternate between two ways:
// - even: the proposal goes to only f validators (the lowest indices other than itself). With its own vote that
//   is f+1 < 2f+1 votes, so no QC forms and the rest must time out, while f honest replicas have voted in the
//   view (and so cannot join a different block in it).
// - odd: the proposal goes to everyone, but held back for `withholdingDelayMs`, just under the view timeout.
// Votes and timeouts are sent honestly.

import { faultTolerance } from '../../ledger/quorum.js'
import { isOwnProposal, toEach } from './messages.js'
import type { ByzantineFactory } from './types.js'

/**
 * 900 ms = the view timeout base (1000 ms, ledger/limits.ts and the simulator's params) less 100 ms. After a QC
 * the next view's timer runs at the base (backoff resets on progress), so followers enter the view together and
 * the proposal lands about when their timers fire: with link delay some vote and some time out in the same
 * view, which is the race between the vote and the timeout paths that we want exercised. Not the full base, or
 * it would always arrive too late and be just another silent leader. After a timed-out view the timers have
 * backed off (2^k × base), so that leader's proposal arrives comfortably in time.
 */
export const withholdingDelayMs = 900

export const withholdingLeaderFixture: ByzantineFactory = (context) => {
  const f = faultTolerance(context.validatorCount)
  let proposalCount = 0
  let lastView = -1
  let delayThisView = false
  return {
    name: 'withholding-leader',
    outgoing: (message, to) => {
      if (!isOwnProposal(context, message)) return toEach(message, to)
      const view = message.proposal.block.header.view
      if (view !== lastView) {
        // Decided once per view, so a re-sent proposal keeps the same treatment.
        lastView = view
        delayThisView = proposalCount % 2 === 1
        proposalCount++
      }
      if (delayThisView)
        return to.map((recipient) => ({ to: recipient, message, delayMs: withholdingDelayMs }))
      const few = [...to].sort((a, b) => a - b).slice(0, f)
      return toEach(message, few)
    },
  }
}
