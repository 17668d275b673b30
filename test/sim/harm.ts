import { type ByzantineName, byzantineNames } from '../../testnet/byzantine/index.js'
import { harmLatencyRatioMax, harmThroughputRatioMin } from '../support/harm-bounds.js'
import { checkExactlyOnce, checkSafety } from './checkers.js'
import { Cluster, type NodeSpec, type Violation } from './cluster.js'

export { harmLatencyRatioMax, harmThroughputRatioMin }

export interface HarmRunOptions {
  readonly seed: number
  readonly validators: number
  /** What the f faulty validators run ('silent' is the crashed baseline). */
  readonly fixture: ByzantineName
  /** Simulated run length; measured after `warmupMs`. */
  readonly durationMs: number
  readonly warmupMs?: number
  /** Closed-loop clients (each waits for its transfer's commit before it sends the next). */
  readonly clients?: number
}

export interface HarmRun {
  readonly fixture: ByzantineName
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
  const nodes: NodeSpec[] = Array.from({ length: validators }, (_, index) =>
    index >= validators - f ? { index, byzantine: fixture } : { index },
  )
  const cluster = new Cluster({
    validators,
    seed: options.seed,
    nodes,
    clients: options.clients ?? 16,
    clientIntervalMs: 100,
    clientLoop: 'closed',
  })
  cluster.start()
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
  /** Throughput relative to the same run with f silent (crashed) validators. */
  readonly throughputRatio: number
  /** p99 latency relative to the same run with f silent validators. */
  readonly latencyRatio: number
  readonly withinBounds: boolean
}

/** Every fixture against the silent baseline, for each validator count. */
export async function harmTable(options: {
  readonly seed: number
  readonly validatorCounts: readonly number[]
  readonly durationMs: number
  readonly fixtures?: readonly ByzantineName[]
  readonly onRow?: (row: HarmRow) => void
}): Promise<HarmRow[]> {
  const rows: HarmRow[] = []
  for (const validators of options.validatorCounts) {
    const run = (fixture: ByzantineName) =>
      runHarm({ seed: options.seed, validators, fixture, durationMs: options.durationMs })
    const baseline = await run('silent')
    for (const fixture of options.fixtures ?? byzantineNames) {
      const result = fixture === 'silent' ? baseline : await run(fixture)
      const throughputRatio = result.txPerSecond / baseline.txPerSecond
      const latencyRatio = result.p99Ms / baseline.p99Ms
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
