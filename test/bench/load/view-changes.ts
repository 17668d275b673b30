// View changes from each validator's /metrics as it is (quorate_view_changes_total, by the reason the view
// was entered: qc, tc, join, start), scraped before and after a window.

import { readMetrics, total } from '../../support/metrics-scrape.js'

export const viewChangeMetric = 'quorate_view_changes_total'
const reasons = ['qc', 'tc', 'join', 'start'] as const

export type ViewChangeCounts = Readonly<Record<(typeof reasons)[number] | 'total', number>>

export async function scrapeViewChanges(metricsUrl: string): Promise<ViewChangeCounts> {
  const samples = await readMetrics(metricsUrl)
  const counts = { total: total(samples, viewChangeMetric) } as Record<string, number>
  for (const reason of reasons) counts[reason] = total(samples, viewChangeMetric, { reason })
  return counts as ViewChangeCounts
}

export function viewChangeDelta(before: ViewChangeCounts, after: ViewChangeCounts): ViewChangeCounts {
  return {
    total: after.total - before.total,
    qc: after.qc - before.qc,
    tc: after.tc - before.tc,
    join: after.join - before.join,
    start: after.start - before.start,
  }
}
