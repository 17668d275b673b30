// The leader-crash benchmark's report: its JSON shape (snake_case, milliseconds since the SIGKILL), the lines
// printed on stdout, and the file in bench-results/.

import type { MachineDescription } from '../load/machine.js'
import type { LatencySummary } from '../load/protocol.js'

export interface LeaderCrashTrial {
  readonly trial: number
  /** The validator killed: the leader (view mod n) of view_at_kill, or of the view after it (options.victim). */
  readonly victim: number
  /** The highest view and committed height the validators reported just before the kill. */
  readonly view_at_kill: number
  readonly height_at_kill: number
  /** The views that committed no block (the crash's cost); null when the trial did not recover in time. */
  readonly missed_views: readonly [number, number] | null
  /** The first committed block after them. */
  readonly recovery_height: number | null
  /**
   * SIGKILL to a survivor's committed height reaching recovery_height: the measurement. The upper bound of
   * its window (a poll's answer showed it); `recovery_earliest_ms` is the lower bound.
   */
  readonly recovery_ms: number | null
  readonly recovery_earliest_ms: number | null
  /** SIGKILL to the survivors' first commit above height_at_kill, which pipelining can make instant. */
  readonly first_commit_ms: number | null
  /** SIGKILL to a survivor entering the first missed view, and to one entering the view after the gap. */
  readonly entered_missed_view_ms: number | null
  readonly left_missed_views_ms: number | null
  /**
   * SIGKILL to the first survivor signing a timeout for the first missed view, from its log (pino's wall-clock
   * `time`, whole milliseconds); null when no such line was found.
   */
  readonly timeout_signed_ms: number | null
  /** Restart of the victim to its height reaching the survivors' (as they stood at the restart). */
  readonly catch_up_ms: number
  /** Status answers from the survivors between the kill and the recovery. */
  readonly polls: number
}

export interface QuantileSummary {
  readonly median: number | null
  readonly p90: number | null
  readonly max: number | null
  readonly min: number | null
}

export interface LeaderCrashReport {
  readonly bench: 'leader-crash'
  readonly started_at: string
  readonly finished_at: string
  readonly machine: MachineDescription
  readonly options: {
    readonly validators: number
    readonly clients: number
    readonly trials: number
    readonly warmup_ms: number
    readonly settle_ms: number
    readonly poll_interval_ms: number
    /** Whose crash: the leader of the view read (`current`) or of the next one (`next`). */
    readonly victim: 'current' | 'next'
  }
  /** Genesis `view_timeout_base_ms` of the testnet measured. */
  readonly view_timeout_base_ms: number
  /** The issue's bound on the median: base view timeout + 100 ms. */
  readonly target_ms: number
  readonly trials: readonly LeaderCrashTrial[]
  readonly recovery_ms: QuantileSummary
  /** recovery_ms − timeout_signed_ms: from the first survivor's timeout to the commit (TC, then 3 views). */
  readonly after_timeout_ms: QuantileSummary
  readonly first_commit_ms: QuantileSummary
  /** Trials whose chain did not recover within the deadline. */
  readonly failed_trials: number
  /** 'met' when every trial recovered and the median recovery_ms is at most target_ms. */
  readonly verdict: 'met' | 'not met'
  /** The closed-loop load over all trials, kills and restarts included. */
  readonly load: {
    readonly duration_s: number
    readonly committed: number
    readonly tx_per_s: number
    readonly latency: LatencySummary | null
    readonly errors_by_kind: Readonly<Record<string, number>>
  }
}

const fixed = (value: number | null, digits = 1): string => (value === null ? '-' : value.toFixed(digits))

export function formatLeaderCrashReport(report: LeaderCrashReport): string[] {
  const lines = [
    `leader crash: ${report.options.validators} validators, ${report.options.clients} closed-loop clients, ` +
      `victim: the ${report.options.victim} leader, ` +
      `base view timeout ${report.view_timeout_base_ms} ms (target: median ≤ ${report.target_ms} ms)`,
    '| trial | victim | view at kill | missed views | recovery ms (window) | first commit ms | ' +
      'missed view entered / timeout signed / left ms | catch-up ms |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const trial of report.trials) {
    const missed =
      trial.missed_views === null
        ? '-'
        : trial.missed_views[0] === trial.missed_views[1]
          ? String(trial.missed_views[0])
          : `${trial.missed_views[0]}–${trial.missed_views[1]}`
    lines.push(
      `| ${trial.trial} | ${trial.victim} | ${trial.view_at_kill} | ${missed} | ` +
        `${fixed(trial.recovery_ms)} (${fixed(trial.recovery_earliest_ms)}–${fixed(trial.recovery_ms)}) | ` +
        `${fixed(trial.first_commit_ms)} | ${fixed(trial.entered_missed_view_ms)} / ` +
        `${fixed(trial.timeout_signed_ms, 0)} / ${fixed(trial.left_missed_views_ms)} | ` +
        `${fixed(trial.catch_up_ms, 0)} |`,
    )
  }
  const { recovery_ms: recovery, after_timeout_ms: afterTimeout, first_commit_ms: first, load } = report
  lines.push(
    `recovery (SIGKILL to the first commit after the missed views): median ${fixed(recovery.median)} ms, ` +
      `p90 ${fixed(recovery.p90)}, max ${fixed(recovery.max)}, min ${fixed(recovery.min)}; ` +
      `${report.failed_trials} trial(s) without recovery; verdict against ${report.target_ms} ms: ${report.verdict}`,
    `of which after the first survivor's timeout (TC, then two views to a commit, three under the three-chain rule): median ` +
      `${fixed(afterTimeout.median)} ms, p90 ${fixed(afterTimeout.p90)}, max ${fixed(afterTimeout.max)}`,
    `first commit above the height at the kill: median ${fixed(first.median)} ms, p90 ${fixed(first.p90)}, ` +
      `max ${fixed(first.max)}`,
    `load over the run: ${fixed(load.tx_per_s)} tx/s committed, p50 / p99 ${fixed(load.latency?.p50_ms ?? null)} / ` +
      `${fixed(load.latency?.p99_ms ?? null)} ms, errors ${
        Object.entries(load.errors_by_kind)
          .map(([kind, count]) => `${kind} ${count}`)
          .join(', ') || 'none'
      }`,
  )
  return lines
}
