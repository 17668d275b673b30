import { bytesEqual } from '../../crypto/hex.js'
import { timeoutSigningBytes } from '../../ledger/hashing.js'
import { faultTolerance, quorumSize } from '../../ledger/quorum.js'
import type { Timeout, TimeoutCertificate } from '../../ledger/types.js'
import { treeHasTxs } from './block-tree.js'
import { highestQCViewIn, processQC, processTC } from './certificates.js'
import type { StepContext } from './context.js'
import { withEntry } from './context.js'
import { recordEvidence } from './evidence.js'
import { viewTimeoutMs } from './timers.js'
import { enterView } from './view-change.js'
import { isBeyondFutureWindow } from './view-window.js'

/**
 * Our timer for the current view expired: time out (or repeat our timeout) and keep the timer running. On a
 * quiescent chain with no work, a leader has nothing to propose and nothing waits to commit: instead of timing
 * out, the replica repeats its last vote (the same signed message) and waits a maximum view timeout before
 * doing so again, until work arrives (onWork). A replica that missed the votes of the last blocks before the
 * chain went quiet (a partition that healed since, a restart) forms the QC from these repeats, fetches the
 * blocks it lacks and commits them, even if it holds no transaction that would wake it.
 */
export function onTimer(context: StepContext, view: number, pendingTxs: boolean): void {
  if (view !== context.state.view) return
  const { config, tree, rootHashHex, lastVote } = context.state
  if (!config.createEmptyBlocks && !pendingTxs && !treeHasTxs(tree, rootHashHex)) {
    context.update({ timerIdle: true })
    if (lastVote !== null) {
      context.emit({ kind: 'broadcast', message: { kind: 'vote', vote: lastVote }, repeated: true })
    }
    context.emit({ kind: 'schedule-timer', view, delayMs: config.params.viewTimeoutMaxMs })
    return
  }
  // A TC we relayed may have been lost (a one-way cut): replicas still timing out in a view we left may get it
  // again, once per timer period.
  context.update({ tcRelayedTo: new Set() })
  sendTimeout(context, view)
  const { params } = context.state.config
  context.emit({ kind: 'schedule-timer', view, delayMs: viewTimeoutMs(params, context.state.viewsWithoutQC) })
}

/** Work arrived (a transaction entered the mempool): an idle view's timer runs again, for a view timeout. */
export function onWork(context: StepContext): void {
  if (!context.state.timerIdle) return
  context.update({ timerIdle: false })
  const { view, config, viewsWithoutQC } = context.state
  context.emit({ kind: 'schedule-timer', view, delayMs: viewTimeoutMs(config.params, viewsWithoutQC) })
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

/**
 * Collects verified timeouts: f+1 for a view ≥ ours makes us join; a quorum forms TC(view). The view window and
 * the per-(view, sender) duplicate check come before anything else, so a peer that repeats timeouts (or replays
 * old QCs inside them) gets at most one look at each QC per view it may time out in.
 */
export function onTimeout(context: StepContext, timeout: Timeout): void {
  const { view } = context.state
  if (isBeyondFutureWindow(context.state, timeout.view)) {
    // Too far ahead to keep, but its highQC is verified: a replica far behind catches up from it (it enters
    // highQC.view + 1). Only a higher QC counts, so repeating it does nothing.
    if (timeout.highQC.view > context.state.safety.highQC.view) processQC(context, timeout.highQC)
    return
  }
  if (timeout.view < view) {
    onTimeoutOfLeftView(context, timeout)
    if (timeout.view === view - 1) collectForOwnTC(context, timeout)
    return
  }
  const bySender = context.state.timeouts.get(timeout.view) ?? new Map<number, Timeout>()
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
  context.update({
    timeouts: withEntry(context.state.timeouts, timeout.view, withEntry(bySender, timeout.sender, timeout)),
  })
  processQC(context, timeout.highQC)
  // processQC moves us at most to highQC.view + 1 ≤ timeout.view (a highQC is always below its timeout's view),
  // so the timeout is still counted; checked anyway, since entering a view prunes the map.
  const updated = context.state.timeouts.get(timeout.view)
  if (updated === undefined || timeout.view < context.state.view) return
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

/**
 * A timeout for a view we already left. Its highQC is used only if it raises ours (each raise is a step
 * forward, so a replayed old QC costs nothing). If we left that view by a TC, the sender may be waiting for
 * timeouts that have stopped coming (we only repeat our timeout for our current view): send it our TC, but at
 * most once per sender per timer period of ours, however often it repeats its timeout. Not only once per
 * (sender, view): a relay lost to a one-way cut would then never be repeated, and the sender and the replicas
 * that left its view could wait for each other for good (found by the simulator: n = 4, a one-way cut).
 */
function onTimeoutOfLeftView(context: StepContext, timeout: Timeout): void {
  if (timeout.highQC.view > context.state.safety.highQC.view) processQC(context, timeout.highQC)
  resendVoteForHighQC(context, timeout)
  const { lastViewTC, tcRelayedTo } = context.state
  if (lastViewTC === null || lastViewTC.view < timeout.view || timeout.sender === context.self) return
  if (tcRelayedTo.has(timeout.sender)) return
  context.update({ tcRelayedTo: new Set([...tcRelayedTo, timeout.sender]) })
  context.emit({ kind: 'send', to: timeout.sender, message: { kind: 'timeout-certificate', tc: lastViewTC } })
}

/**
 * A replica timing out with a highQC below ours missed the votes that formed it: on a quiescent chain no later
 * proposal will carry that QC, so it could wait for the next transaction. If our last vote is for our highQC's
 * block, we send it again (the same signed message, nothing new is signed); a quorum of such replies forms the
 * QC at the sender, which then fetches the blocks and commits. One reply per timeout received, so no
 * amplification: an honest replica repeats its timeout once per timer period.
 */
function resendVoteForHighQC(context: StepContext, timeout: Timeout): void {
  const { lastVote, safety } = context.state
  if (lastVote === null || timeout.sender === context.self) return
  if (timeout.highQC.view >= safety.highQC.view) return
  if (lastVote.view !== safety.highQC.view || !bytesEqual(lastVote.blockHash, safety.highQC.blockHash)) return
  context.emit({ kind: 'send', to: timeout.sender, message: { kind: 'vote', vote: lastVote } })
}

/**
 * A TC a peer relayed to us. Under the two-chain rule, if its signers claim a high QC above ours, we cannot
 * lead after it, and a lying signer may have built it from honest timeouts to beat the TC those would have
 * formed. So we also time out its view ourselves (late, but safe: we left that view, and a timeout only
 * carries our highQC), and every replica that moved on by such a TC does the same: each then holds enough
 * honest timeouts to form a TC of its own (collectForOwnTC).
 */
export function onRelayedTC(context: StepContext, tc: TimeoutCertificate): void {
  processTC(context, tc)
  const { lastViewTC, safety, config } = context.state
  if (config.params.commitRule !== 'two-chain' || lastViewTC !== tc) return
  if (highestQCViewIn(tc) > safety.highQC.view) sendTimeout(context, tc.view)
}

/**
 * Two-chain rule: a leader entering view v by TC(v − 1) must extend a QC at least as high as every high-QC view
 * the TC's signers signed. A Byzantine signer can sign a high-QC view it holds no QC for, and relay that TC
 * first; no honest leader could then extend it. So while our TC(v − 1) is one our highQC cannot satisfy, we keep
 * collecting timeouts of v − 1 (each one's QC raised our highQC as it arrived) and, with a quorum of them, use
 * a TC of our own, which our highQC satisfies by construction.
 */
function collectForOwnTC(context: StepContext, timeout: Timeout): void {
  const { lastViewTC, safety, config, timeouts } = context.state
  if (config.params.commitRule !== 'two-chain' || lastViewTC?.view !== timeout.view) return
  if (highestQCViewIn(lastViewTC) <= safety.highQC.view) return
  const bySender = timeouts.get(timeout.view) ?? new Map<number, Timeout>()
  if (bySender.has(timeout.sender)) return
  const updated = withEntry(bySender, timeout.sender, timeout)
  context.update({ timeouts: withEntry(timeouts, timeout.view, updated) })
  if (updated.size < quorumSize(context.validatorCount)) return
  const tc = formTC(timeout.view, updated)
  context.update({ lastViewTC: tc })
  context.emit({ kind: 'persist-tc', tc })
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
