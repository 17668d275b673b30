import { futureViewWindow } from '../../ledger/limits.js'
import type { StepContext } from './context.js'
import { filterMap } from './context.js'
import { viewTimeoutMs } from './timers.js'
import { pruneToViewWindow } from './view-window.js'

export type ViewEntryReason = 'qc' | 'tc' | 'start' | 'join'

/** Moves to view `view` (only forward), arms its timer, and as its leader asks the driver for a batch. */
export function enterView(context: StepContext, view: number, reason: ViewEntryReason): void {
  const { state } = context
  if (view <= state.view && reason !== 'start') return
  context.update({
    view,
    // Votes and timeouts for views we have left can no longer form a useful certificate, except for the view
    // just left: its QC, or a TC of our own if the one we entered by is one we cannot extend (timeouts.ts).
    votes: filterMap(
      state.votes,
      (votedView) => votedView >= view - 1 && votedView <= view + futureViewWindow,
    ),
    timeouts: filterMap(state.timeouts, (timeoutView) => timeoutView >= view - 1),
    pendingPayload: null,
    tcRelayedTo: new Set(),
    timerIdle: false,
  })
  pruneToViewWindow(context)
  context.emit({ kind: 'entered-view', view, reason })
  context.emit({
    kind: 'schedule-timer',
    view,
    delayMs: viewTimeoutMs(state.config.params, context.state.viewsWithoutQC),
  })
}
