// QC replay: timeouts that carry old, real QCs. Honest otherwise; it collects every real QC it sees (its own
// proposals' justify and timeouts' highQC, and the same in what peers send it) and on every tick sends a burst
// of timeouts, validly signed with its own key, for views inside the receivers' window (the current view up to
// one future window ahead), each carrying one of those QCs as its highQC, walking through them oldest first so
// the burst names as many distinct certified blocks as it can. Most of them were committed long ago.
//
// A QC is valid forever, so the receiver cannot refuse the timeout for it. What it must not do is act on the old
// QC as news: fetching a block that is committed history (and asking every peer for it) turns each timeout into
// n − 1 requests, enough to make honest validators look like flooders to each other and ban each other. Honest
// validators must not fetch committed history, must deduplicate and bound their fetches, and must never ban an
// honest peer because of what this validator sent. (Several highQCs for one view are also a double timeout,
// recorded once as evidence.)

import { futureViewWindow } from '../../ledger/limits.js'
import type { QuorumCertificate } from '../../ledger/types.js'
import { otherValidators, signTimeout, timeoutMessage, toEach } from './messages.js'
import { ChainObserver, watchingHooks } from './observed-chain.js'
import { randomInt } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

/** Timeouts per tick, each to every other validator. */
export const qcReplayBurstCount = 24
/** Distinct real QCs remembered for replay (oldest forgotten first). */
export const qcReplayMemoryCountMax = 256

export const qcReplayFixture: ByzantineFactory = (context) => {
  const observer = new ChainObserver({ qcCountMax: qcReplayMemoryCountMax })
  const others = otherValidators(context)
  let cursor = 0

  const nextQC = (qcs: readonly QuorumCertificate[]): QuorumCertificate => {
    cursor = cursor % qcs.length
    return qcs[cursor++] as QuorumCertificate
  }

  return {
    name: 'qc-replay',
    ...watchingHooks(observer),
    tick: () => {
      const qcs = observer.qcs()
      if (qcs.length === 0 || others.length === 0) return []
      const out: Outgoing[] = []
      for (let k = 0; k < qcReplayBurstCount; k++) {
        const qc = nextQC(qcs)
        // Inside the window, and above the QC's own view (a timeout's highQC is from an earlier view).
        const view = Math.max(qc.view + 1, observer.view + randomInt(context.random, futureViewWindow + 1))
        out.push(...toEach(timeoutMessage(signTimeout(context, view, qc)), others))
      }
      return out
    },
  }
}
