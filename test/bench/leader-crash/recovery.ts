// What a leader crash cost, read from the committed chain and from the survivors' status answers.
//
// Under steady load every view commits a block, so the views the crash cost are the first gap in the views of
// the blocks committed after the kill: the killed leader's view (or, when its proposal was already out and
// certified, its next turn) ends by timeout certificate instead of a QC. The chain has recovered when a block
// of a view after the gap is committed: it needs the timeout, then two views with QCs (three under the
// three-chain rule). Under
// pipelining the survivors can go on committing for a few views after the kill (blocks the dead leader's
// proposal, or those before it, already certified), so "the height moved past the height at the kill" alone
// can be a few milliseconds and say nothing about the crash; both are reported.
//
// Moments come from polls (status-poller.ts): a predicate first seen true on some survivor happened before the
// earliest answer that showed it, and after the earliest request among the survivors' last answers that did
// not (no survivor can have seen it before that request left). The report gives both bounds.

import type { StatusSample } from './status-poller.js'

export interface CommittedBlockView {
  readonly height: number
  readonly view: number
}

export interface MissedViews {
  /** The first and last views without a committed block. */
  readonly firstView: number
  readonly lastView: number
  /** The first committed block after the gap: committing it is the recovery. */
  readonly resumeHeight: number
  readonly resumeView: number
}

export class ChainGapError extends Error {
  static override name = 'ChainGapError'
  override name = 'ChainGapError'
}

/**
 * The first run of views with no committed block that ends at or after `viewAtKill`, in `blocks`: committed
 * blocks of consecutive heights in height order, starting at or before the committed head at the kill.
 */
export function findMissedViews(
  blocks: readonly CommittedBlockView[],
  viewAtKill: number,
): MissedViews | null {
  for (let index = 1; index < blocks.length; index++) {
    const before = blocks[index - 1]!
    const after = blocks[index]!
    if (after.height !== before.height + 1) {
      throw new ChainGapError(`blocks ${before.height} and ${after.height} are not consecutive heights`)
    }
    if (after.view <= before.view) {
      throw new ChainGapError(
        `block ${after.height} has view ${after.view}, not above its parent's ${before.view}`,
      )
    }
    if (after.view >= before.view + 2 && after.view - 1 >= viewAtKill) {
      return {
        firstView: before.view + 1,
        lastView: after.view - 1,
        resumeHeight: after.height,
        resumeView: after.view,
      }
    }
  }
  return null
}

/** When a survivor first showed something, as a window of performance.now() values. */
export interface SeenWindow {
  /** No survivor can have seen it before this. */
  readonly earliestMs: number
  /** A survivor had seen it by then: the earliest answer that showed it. */
  readonly latestMs: number
}

/**
 * The window in which the first of `validators` came to satisfy `seen` (monotone per validator: once true it
 * stays true, as a committed height or a view only grow), from polls sent at or after `sinceMs`; null when no
 * poll showed it.
 */
export function firstSeen(
  samples: readonly StatusSample[],
  validators: readonly number[],
  sinceMs: number,
  seen: (sample: StatusSample) => boolean,
): SeenWindow | null {
  let latestMs = Number.POSITIVE_INFINITY
  let earliestMs = Number.POSITIVE_INFINITY
  for (const validator of validators) {
    let lastUnseenSentMs = sinceMs
    let seenAtMs = Number.POSITIVE_INFINITY
    for (const sample of samples) {
      if (sample.validator !== validator || sample.sentMs < sinceMs) continue
      if (seen(sample)) {
        seenAtMs = Math.min(seenAtMs, sample.answeredMs)
      } else if (sample.answeredMs <= seenAtMs) {
        lastUnseenSentMs = Math.max(lastUnseenSentMs, sample.sentMs)
      }
    }
    latestMs = Math.min(latestMs, seenAtMs)
    earliestMs = Math.min(earliestMs, lastUnseenSentMs)
  }
  if (!Number.isFinite(latestMs)) return null
  return { earliestMs: Math.min(earliestMs, latestMs), latestMs }
}
