import { timeoutSigningBytes } from '../../ledger/hashing.js'
import { futureViewWindow } from '../../ledger/limits.js'
import { faultTolerance, quorumSize } from '../../ledger/quorum.js'
import type { Timeout, TimeoutCertificate } from '../../ledger/types.js'
import { processQC, processTC } from './certificates.js'
import type { StepContext } from './context.js'
import { withEntry } from './context.js'
import { recordEvidence } from './evidence.js'
import { viewTimeoutMs } from './timers.js'
import { enterView } from './view-change.js'

/** Our timer for the current view expired: time out (or repeat our timeout) and keep the timer running. */
export function onTimer(context: StepContext, view: number): void {
  if (view !== context.state.view) return
  sendTimeout(context, view)
  const { params } = context.state.config
  context.emit({ kind: 'schedule-timer', view, delayMs: viewTimeoutMs(params, context.state.viewsWithoutQC) })
}

/**
 * Signs Timeout(view, highQC) once per view; later calls re-send the same timeout, so a restarted replica never
 * signs two different timeouts for one view. Signing one also ends our voting in that view.
 */
function sendTimeout(context: StepContext, view: number): void {
  const { safety, config } = context.state
  let timeout = safety.lastTimeout
  if (timeout === null || timeout.view !== view) {
    if (timeout !== null && timeout.view > view) return
    timeout = {
      view,
      highQC: safety.highQC,
      sender: context.self,
      signature: config.sign(timeoutSigningBytes(config.chainId, view, safety.highQC.view)),
    }
    const nextSafety = {
      ...safety,
      lastVotedView: Math.max(safety.lastVotedView, view),
      lastTimeout: timeout,
    }
    context.update({ safety: nextSafety })
    context.emit({ kind: 'persist-safety', safety: nextSafety })
  }
  context.emit({ kind: 'broadcast', message: { kind: 'timeout', timeout } })
  onTimeout(context, timeout)
}

/** Collects verified timeouts: f+1 for a view ≥ ours makes us join; a quorum forms TC(view). */
export function onTimeout(context: StepContext, timeout: Timeout): void {
  processQC(context, timeout.highQC)
  const { view, timeouts, lastViewTC } = context.state
  if (timeout.view < view) {
    // The sender still times out in a view we left by a TC: relay it, or it may wait for timeouts that have
    // stopped coming (we only repeat our timeout for our current view).
    if (lastViewTC !== null && lastViewTC.view >= timeout.view && timeout.sender !== context.self) {
      context.emit({
        kind: 'send',
        to: timeout.sender,
        message: { kind: 'timeout-certificate', tc: lastViewTC },
      })
    }
    return
  }
  if (timeout.view > view + futureViewWindow) return
  const bySender = timeouts.get(timeout.view) ?? new Map<number, Timeout>()
  const earlier = bySender.get(timeout.sender)
  if (earlier !== undefined) {
    if (earlier.highQC.view !== timeout.highQC.view) {
      const evidence = {
        kind: 'double-timeout',
        view: timeout.view,
        first: earlier,
        second: timeout,
      } as const
      recordEvidence(context, evidence, timeout.sender)
    }
    return
  }
  const updated = withEntry(bySender, timeout.sender, timeout)
  context.update({ timeouts: withEntry(timeouts, timeout.view, updated) })
  const n = context.validatorCount
  const ownTimeout = context.state.safety.lastTimeout
  const joined = ownTimeout !== null && ownTimeout.view >= timeout.view
  if (updated.size >= faultTolerance(n) + 1 && !joined) {
    // At least one honest replica gave up on this view: join it so views resynchronise quickly.
    if (timeout.view > context.state.view) enterView(context, timeout.view, 'join')
    sendTimeout(context, timeout.view)
    return // sendTimeout re-entered onTimeout with our own timeout, which handled the TC.
  }
  if (updated.size === quorumSize(n)) processTC(context, formTC(timeout.view, updated))
}

function formTC(view: number, bySender: ReadonlyMap<number, Timeout>): TimeoutCertificate {
  const timeouts = [...bySender.values()].sort((a, b) => a.sender - b.sender)
  return {
    view,
    signers: timeouts.map((each) => each.sender),
    highQCViews: timeouts.map((each) => each.highQC.view),
    signatures: timeouts.map((each) => each.signature),
  }
}
