// The checker's verdict for people (one line per check, PASS or FAIL, then the figures) and for scripts (JSON,
// documented in docs/fault-lab.md, "The history checker"). snake_case, like testnet.json.

import type { Verdict } from './checker.js'
import type { TornLine } from './history-file.js'

/** What was checked, beside the verdict. */
export interface CheckSource {
  readonly testnet: string
  readonly history: string
  /** A last line the generator did not finish (ignored: its request counts as having no outcome). */
  readonly torn_last_line: TornLine | null
  readonly validators_read: readonly number[]
  /** Not trusted: --exclude, and those testnet.json says run a malicious fixture. */
  readonly validators_excluded: readonly number[]
  /** Trusted, but no answer to `status`: not compared. */
  readonly validators_not_answering: readonly number[]
}

export interface CheckReport {
  readonly verdict: Verdict
  readonly source: CheckSource
}

export function reportJson(report: CheckReport): object {
  return { ...report.verdict, source: report.source }
}

export function reportText(report: CheckReport): string {
  const { verdict, source } = report
  const nameWidth = Math.max(...verdict.checks.map((check) => check.name.length))
  const lines = verdict.checks.map(
    (check) => `${check.ok ? 'PASS' : 'FAIL'} ${check.name.padEnd(nameWidth)}  ${check.detail}`,
  )
  const figures = Object.entries(verdict.figures)
    .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : value}`)
    .join(' ')
  lines.push(`figures: ${figures}`)
  lines.push(
    `history ${source.history}; validators read: ${list(source.validators_read)}, excluded: ` +
      `${list(source.validators_excluded)}, not answering: ${list(source.validators_not_answering)}`,
  )
  if (source.torn_last_line !== null) {
    lines.push(
      `note: the history's last line (${source.torn_last_line.line}) is torn and was ignored: ` +
        source.torn_last_line.text,
    )
  }
  const failed = verdict.checks.filter((check) => !check.ok).map((check) => check.name)
  lines.push(failed.length === 0 ? 'verdict: PASS' : `verdict: FAIL (${failed.join(', ')})`)
  return lines.join('\n')
}

function list(indexes: readonly number[]): string {
  return indexes.length === 0 ? 'none' : indexes.join(', ')
}
