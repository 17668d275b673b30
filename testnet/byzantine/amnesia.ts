// Honest while it runs; on restart the driver wipes its safety state (lastVotedView, lock, highQC, last timeout)
// but keeps its key, so it may sign a second, different vote or timeout for a view it already signed in. The
// rest of the cluster must stay safe: that is at most one faulty validator's equivocation.

import { toEach } from './messages.js'
import type { ByzantineFactory } from './types.js'

export const amnesiaFixture: ByzantineFactory = () => ({
  name: 'amnesia',
  outgoing: toEach,
  wipesSafetyStateOnRestart: true,
})
