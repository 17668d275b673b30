import type { CommitRule } from '../../ledger/commit-rule.js'
import { type ByzantineName, byzantineNames } from '../../testnet/byzantine/index.js'
import { harmLatencyRatioMax, harmThroughputRatioMin } from '../support/harm-bounds.js'
import { checkExactlyOnce, checkSafety } from './checkers.js'
import { Cluster, type NodeSpec, type Violation } from './cluster.js'

export { harmLatencyRatioMax, harmThroughputRatioMin }

/**
 * The two crashed baselines: f validators silent from the start, and f honest validators that crash 1 s into
 * the measured window. A crash mid-run costs the views the crashed validators still lead before leader election
 * passes them over (docs/protocol.md, "Leader election"); a fixture that gets itself cut off mid-run is that.
 */
export type CrashBaseline = 'silent' | 'crash-mid-run'

/** What the f faulty validators do: a malicious fixture, crash mid-run, or nothing ('fault-free', all honest). */
export type HarmFixture = ByzantineName | 'crash-mid-run' | 'fault-free'

/** When the crash-mid-run baseline's validators crash: 1 s after the warm-up. */
const midRunCrashAfterWarmupMs = 1_000

export interface HarmRunOptions {
  readonly seed: number
  readonly validators: number
  /** What the f faulty validators run ('silent' is the crashed baseline; 'crash-mid-run' the other one). */
  readonly fixture: HarmFixture
  /** Simulated run length; measured after `warmupMs`. */
  readonly durationMs: number
  readonly warmupMs?: number
  /** Closed-loop clients (each waits for its transfer's commit before it sends the next). */
  readonly clients?: number
  readonly commitRule?: CommitRule
}

export interface HarmRun {
  readonly fixture: HarmFixture
  readonly validators: number
  /** Transfers committed per simulated second in the measured window (at the clients' entry nodes). */
  readonly txPerSecond: number
  /** Submit-to-commit latency in simulated ms; a transfer still waiting at the end counts as waiting so far. */
  readonly p50Ms: number
  readonly p99Ms: number
  readonly violations: readonly Violation[]
  readonly traceHash: number
}

/**
 * One harm run: n validators, the last f running `fixture`, a calm network, closed-loop clients that talk to
 * honest validators only. Deterministic for (seed, validators, fixture).
 */
export async function runHarm(options: HarmRunOptions): Promise<HarmRun> {
  const { validators, fixture, durationMs } = options
  const warmupMs = options.warmupMs ?? 5_000
  const f = Math.floor((validators - 1) / 3)
  const isFaulty = (index: number) => index >= validators - f
  const nodes: NodeSpec[] = Array.from({ length: validators }, (_, index) =>
    !isFaulty(index) || fixture === 'fault-free'
      ? { index }
      : fixture === 'crash-mid-run'
        ? { index, noClients: true }
        : { index, byzantine: fixture },
  )
  const cluster = new Cluster({
    validators,
    seed: options.seed,
    nodes,
    clients: options.clients ?? 16,
    clientIntervalMs: 100,
    clientLoop: 'closed',
    ...(options.commitRule === undefined ? {} : { params: { commitRule: options.commitRule } }),
  })
  cluster.start()
  if (fixture === 'crash-mid-run') {
    cluster.at(warmupMs + midRunCrashAfterWarmupMs, () => {
      for (const node of nodes) if (isFaulty(node.index)) cluster.crash(node.index)
    })
  }
  await cluster.runUntil(durationMs)
  const endMs = cluster.nowMs
  const records = [...cluster.txRecords.values()]
  const committedInWindow = records.filter(
    (record) => record.committedAtMs !== undefined && record.committedAtMs >= warmupMs,
  ).length
  const latencies = records
    .filter((record) => record.submittedAtMs >= warmupMs)
    .map((record) => (record.committedAtMs ?? endMs) - record.submittedAtMs)
    .sort((a, b) => a - b)
  return {
    fixture,
    validators,
    txPerSecond: committedInWindow / ((endMs - warmupMs) / 1_000),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    violations: [...checkSafety(cluster), ...checkExactlyOnce(cluster, false)],
    traceHash: cluster.traceHash,
  }
}

export interface HarmRow extends HarmRun {
  /** Throughput relative to the crashed baselines' lower one (f crashed validators, from the start or mid-run). */
  readonly throughputRatio: number
  /** p99 latency relative to the crashed baselines' higher one. */
  readonly latencyRatio: number
  readonly withinBounds: boolean
}

/**
 * Every fixture against the harm f crashed validators do (the worse of the two crashed baselines, per figure),
 * for each validator count. The fault-free run and the baselines come first in the rows; the fault-free row
 * shows what f crashed validators cost (issue 9's target: at least 75% of the fault-free throughput).
 */
export async function harmTable(options: {
  readonly seed: number
  readonly validatorCounts: readonly number[]
  readonly durationMs: number
  readonly fixtures?: readonly ByzantineName[]
  readonly commitRule?: CommitRule
  readonly onRow?: (row: HarmRow) => void
}): Promise<HarmRow[]> {
  const rows: HarmRow[] = []
  for (const validators of options.validatorCounts) {
    const run = (fixture: HarmFixture) =>
      runHarm({
        seed: options.seed,
        validators,
        fixture,
        durationMs: options.durationMs,
        ...(options.commitRule === undefined ? {} : { commitRule: options.commitRule }),
      })
    const faultFree = await run('fault-free')
    const silent = await run('silent')
    const crashMidRun = await run('crash-mid-run')
    const baselineTxPerSecond = Math.min(silent.txPerSecond, crashMidRun.txPerSecond)
    const baselineP99Ms = Math.max(silent.p99Ms, crashMidRun.p99Ms)
    const fixtures = (options.fixtures ?? byzantineNames).filter((fixture) => fixture !== 'silent')
    const baselines = { 'fault-free': faultFree, silent, 'crash-mid-run': crashMidRun }
    for (const fixture of ['fault-free', 'silent', 'crash-mid-run', ...fixtures] as const) {
      const result = fixture in baselines ? baselines[fixture as keyof typeof baselines] : await run(fixture)
      const throughputRatio = result.txPerSecond / baselineTxPerSecond
      const latencyRatio = result.p99Ms / baselineP99Ms
      const row: HarmRow = {
        ...result,
        throughputRatio,
        latencyRatio,
        withinBounds:
          throughputRatio >= harmThroughputRatioMin &&
          latencyRatio <= harmLatencyRatioMax &&
          result.violations.length === 0,
      }
      rows.push(row)
      options.onRow?.(row)
    }
  }
  return rows
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.POSITIVE_INFINITY
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
