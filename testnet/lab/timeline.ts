// The fault lab's timeline: one entry per progress round (about a second) for the last five minutes, so faults
// and their effect can be read side by side (commits per second, views entered without a commit, who was down).

import type { ProgressTick } from '../progress.js'

export const timelineLengthMax = 300

export interface TimelineEntry {
  readonly t_ms: number
  /** The highest committed height any validator reported. */
  readonly height: number
  /** Blocks and transactions committed since the previous entry. */
  readonly commits: number
  readonly txs: number
  /** Views entered since the previous entry beyond one per committed block: timeouts, roughly. */
  readonly view_changes: number
  /** Validators that did not answer `status` (killed, paused, partitioned from the runner, or gone). */
  readonly down: readonly number[]
}

export class Timeline {
  readonly #entries: TimelineEntry[] = []
  #previous: { height: number; view: number; totalTxs: number | undefined } | undefined

  record(tick: ProgressTick): TimelineEntry {
    let height = 0
    let view = 0
    const down: number[] = []
    tick.samples.forEach((sample, index) => {
      if (sample === undefined) down.push(index)
      else {
        height = Math.max(height, sample.height)
        view = Math.max(view, sample.view)
      }
    })
    const previous = this.#previous
    const answered = down.length < tick.samples.length
    const commits = previous === undefined || !answered ? 0 : Math.max(0, height - previous.height)
    const views = previous === undefined || !answered ? 0 : Math.max(0, view - previous.view)
    const txs =
      previous?.totalTxs === undefined || tick.totalTxs === undefined
        ? 0
        : Math.max(0, tick.totalTxs - previous.totalTxs)
    if (answered) this.#previous = { height, view, totalTxs: tick.totalTxs ?? previous?.totalTxs }
    const entry: TimelineEntry = {
      t_ms: tick.timeMs,
      height: answered ? height : (previous?.height ?? 0),
      commits,
      txs,
      view_changes: Math.max(0, views - commits),
      down,
    }
    this.#entries.push(entry)
    if (this.#entries.length > timelineLengthMax) this.#entries.shift()
    return entry
  }

  entries(): readonly TimelineEntry[] {
    return this.#entries
  }
}
