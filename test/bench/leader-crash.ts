import { startBenchTestnet } from './load/bench-testnet.js'
// `npm run bench -- leader-crash [--trials 10] [--clients 16] [--validators 4] [--warmup-ms 3000]
// [--settle-ms 2000] [--base-port P]`: the issue's "time from SIGKILL of the current leader to the next commit
// ≤ base view timeout + 100 ms (median of 10)". A fresh testnet of real validator processes, closed-loop load
// from the load generator (its own process) throughout, because an idle chain commits nothing; then per trial
// (leader-crash/trial.ts): SIGKILL the leader of the current view, time the survivors' recovery, restart the
// victim, wait until it has caught up. The report goes to stdout and bench-results/leader-crash-<time>.json;
// docs/performance.md ("Leader crash") explains each figure and its precision.

import '../../node/polyfills.js'
import { rm } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadGenesisFile } from '../../ledger/genesis.js'
import { homePaths } from '../../node/config.js'
import { median, nearestRank } from './figures.js'
import {
  formatLeaderCrashReport,
  type LeaderCrashReport,
  type LeaderCrashTrial,
  type QuantileSummary,
} from './leader-crash/report.js'
import { runTrial, type VictimRule } from './leader-crash/trial.js'
import { LoadGeneratorProcess } from './load/generator-process.js'
import { describeMachine } from './load/machine.js'
import { ProgressLine } from './load/progress.js'
import type { LevelSummary } from './load/protocol.js'
import { significant, writeBenchReport } from './load/report.js'

export interface BenchLeaderCrashOptions {
  readonly basePort: number
  readonly validators: number
  /** Closed-loop clients of the steady load, spread over the validators. */
  readonly clients: number
  readonly trials: number
  /** Load before the first trial. */
  readonly warmupMs: number
  /** Load after each restarted victim has caught up, before the next trial. */
  readonly settleMs: number
  /** Each survivor's `status` is asked this often while a trial watches for the recovery. */
  readonly pollIntervalMs: number
  /** Kill the leader of the view read (`current`, the wording) or of the view after it (`next`). */
  readonly victim: VictimRule
  readonly resultsDir: string
  readonly print: (line: string) => void
}

export const benchLeaderCrashDefaults = {
  validators: 4,
  clients: 16,
  trials: 10,
  warmupMs: 3_000,
  settleMs: 2_000,
  pollIntervalMs: 5,
  victim: 'current' as VictimRule,
  resultsDir: 'bench-results',
} as const

/** The allowance over the base view timeout. */
export const leaderCrashAllowanceMs = 100
/** The load runs until the last trial ends and the bench stops it; this only bounds a bench that hangs. */
const loadDurationMaxMs = 6 * 3_600_000

export async function benchLeaderCrash(
  options: BenchLeaderCrashOptions,
): Promise<{ report: LeaderCrashReport; file: string }> {
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const progress = new ProgressLine()
  const { dir, testnet } = await startBenchTestnet(
    'leader-crash',
    { validators: options.validators, accounts: options.clients, basePort: options.basePort },
    progress,
  )
  let generator: LoadGeneratorProcess | undefined
  try {
    const genesis = await loadGenesisFile(homePaths(testnet.layout.validators[0]!.home).genesis)
    const baseMs = genesis.params.viewTimeoutBaseMs
    generator = await LoadGeneratorProcess.start(testnet.infoFile)
    let loadFailure: unknown
    const loadStartedMs = performance.now()
    const load: Promise<LevelSummary> = generator.runLevel(
      { type: 'level', clients: options.clients, warmupMs: 0, durationMs: loadDurationMaxMs },
      { windowStart: async () => {}, windowEnd: async () => {}, progress: () => {} },
    )
    load.catch((error: unknown) => {
      loadFailure = error
    })
    const phase = `leader crash, ${options.trials} trials`
    progress.show(phase, 0, `warming up ${options.clients} clients`)
    await sleep(options.warmupMs)
    const trials: LeaderCrashTrial[] = []
    for (let trial = 1; trial <= options.trials; trial++) {
      if (loadFailure !== undefined) throw loadFailure
      const done = (trial - 1) / options.trials
      trials.push(
        await runTrial(
          {
            testnet,
            pollIntervalMs: options.pollIntervalMs,
            victimRule: options.victim,
            settleMs: options.settleMs,
            report: (detail) => progress.show(phase, done, detail),
          },
          trial,
        ),
      )
      const last = trials[trials.length - 1]!
      progress.show(phase, trial / options.trials, `trial ${trial}: recovery ${last.recovery_ms ?? '-'} ms`)
    }
    progress.done()
    generator.stopLevel()
    const summary = await load
    const loadSeconds = summary.window_ms / 1000
    const recoveries = trials.flatMap((trial) => (trial.recovery_ms === null ? [] : [trial.recovery_ms]))
    const failedTrials = trials.length - recoveries.length
    const recovery = quantiles(recoveries)
    const targetMs = baseMs + leaderCrashAllowanceMs
    const report: LeaderCrashReport = {
      bench: 'leader-crash',
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      machine,
      options: {
        validators: options.validators,
        clients: options.clients,
        trials: options.trials,
        warmup_ms: options.warmupMs,
        settle_ms: options.settleMs,
        poll_interval_ms: options.pollIntervalMs,
        victim: options.victim,
      },
      view_timeout_base_ms: baseMs,
      target_ms: targetMs,
      trials,
      recovery_ms: recovery,
      after_timeout_ms: quantiles(
        trials.flatMap((trial) =>
          trial.recovery_ms === null || trial.timeout_signed_ms === null
            ? []
            : [trial.recovery_ms - trial.timeout_signed_ms],
        ),
      ),
      first_commit_ms: quantiles(
        trials.flatMap((trial) => (trial.first_commit_ms === null ? [] : [trial.first_commit_ms])),
      ),
      failed_trials: failedTrials,
      verdict:
        failedTrials === 0 && recovery.median !== null && recovery.median <= targetMs ? 'met' : 'not met',
      load: {
        duration_s: significant(loadSeconds > 0 ? loadSeconds : (performance.now() - loadStartedMs) / 1000),
        committed: summary.committed,
        tx_per_s: significant(loadSeconds > 0 ? summary.committed / loadSeconds : 0),
        latency: summary.latency,
        errors_by_kind: summary.errors,
      },
    }
    const file = await writeBenchReport(options.resultsDir, report)
    for (const line of formatLeaderCrashReport(report)) options.print(line)
    options.print(`written to ${file}`)
    return { report, file }
  } finally {
    progress.done()
    generator?.stopLevel()
    await generator?.stop()
    await testnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

function quantiles(values: readonly number[]): QuantileSummary {
  const round = (value: number | null): number | null => (value === null ? null : Math.round(value * 10) / 10)
  return {
    median: round(median(values)),
    p90: round(nearestRank(values, 0.9)),
    max: round(values.length === 0 ? null : Math.max(...values)),
    min: round(values.length === 0 ? null : Math.min(...values)),
  }
}
