// Reading balances that mean something: only once every honest validator is at the same height and stays
// there across two reads (nothing is committing), so the balances read belong to that height, and only within
// a bounded wait.

import { setTimeout as sleep } from 'node:timers/promises'
import type { ChainView, ReadOptions } from './chain-view.js'

export const quietWaitMsDefault = 30_000
/** The pause between the two reads that must agree. */
export const quietPollMs = 500
/** Balance reads in flight at once. */
export const balanceReadsInFlightMax = 16

export type QuietHeight =
  | { readonly quiet: true; readonly height: number }
  | { readonly quiet: false; readonly detail: string }

/** Every view's height, by validator. */
export async function heightsOf(
  views: readonly ChainView[],
  options: ReadOptions = {},
): Promise<Map<number, number>> {
  const heights = await Promise.all(views.map((view) => view.height(options)))
  return new Map(views.map((view, position) => [view.validator, heights[position]!]))
}

/** Waits until every view answers the same height twice, `quietPollMs` apart, until `deadlineMs` (epoch). */
export async function waitForQuietHeight(
  views: readonly ChainView[],
  deadlineMs: number,
  options: ReadOptions = {},
): Promise<QuietHeight> {
  let previous = await heightsOf(views, options)
  for (;;) {
    await sleep(quietPollMs, undefined, options.signal === undefined ? {} : { signal: options.signal })
    const current = await heightsOf(views, options)
    const all = [...previous.values(), ...current.values()]
    if (all.every((height) => height === all[0])) return { quiet: true, height: all[0] ?? 0 }
    if (Date.now() >= deadlineMs) {
      const listed = [...current]
        .map(([validator, height]) => `validator ${validator} at ${height}`)
        .join(', ')
      return { quiet: false, detail: `could not get a quiet height before the wait ended: ${listed}` }
    }
    previous = current
  }
}

/** The balances of `addresses` as `view` answers them, a bounded number of reads at a time. */
export async function readBalances(
  view: ChainView,
  addresses: Iterable<string>,
  options: ReadOptions = {},
): Promise<Map<string, bigint>> {
  const pending = [...addresses]
  const balances = new Map<string, bigint>()
  for (let start = 0; start < pending.length; start += balanceReadsInFlightMax) {
    const batch = pending.slice(start, start + balanceReadsInFlightMax)
    const read = await Promise.all(batch.map((address) => view.balance(address, options)))
    for (const [position, address] of batch.entries()) balances.set(address, read[position]!)
  }
  return balances
}
