// One client count: the load generator runs the level while this process takes the validators' CPU time,
// the machine's busy time and every validator's view-change counters at the window's start and end, and
// samples their RSS throughout.

import { performance } from 'node:perf_hooks'
import { type EtcdResults, etcdRowFor } from './etcd-results.js'
import type { LoadGeneratorProcess } from './generator-process.js'
import { busyPercent, cpuSeconds, type MachineCpuTimes, machineCpuTimes, PeakRssSampler } from './proc.js'
import type { ProgressLine } from './progress.js'
import type { LevelSummary } from './protocol.js'
import { type LevelReport, significant } from './report.js'
import { scrapeViewChanges, type ViewChangeCounts, viewChangeDelta } from './view-changes.js'

export interface MeasuredValidator {
  readonly pid: number
  readonly metricsUrl: string
}

export interface LevelContext {
  readonly generator: LoadGeneratorProcess
  readonly validators: readonly MeasuredValidator[]
  readonly ceilingTxPerSecond: number
  readonly etcd: EtcdResults | null
  readonly progress: ProgressLine
}

const rssSampleIntervalMs = 200

interface Snapshot {
  readonly atMs: number
  readonly validatorCpuSeconds: readonly number[]
  readonly generatorCpuSeconds: number
  readonly machine: MachineCpuTimes
  readonly viewChanges: Promise<readonly ViewChangeCounts[]>
}

function snapshot(context: LevelContext): Snapshot {
  // The /proc reads are synchronous and first, so they are taken at the event; the scrapes follow.
  return {
    atMs: performance.now(),
    validatorCpuSeconds: context.validators.map((validator) => cpuSeconds(validator.pid)),
    generatorCpuSeconds: cpuSeconds(context.generator.pid),
    machine: machineCpuTimes(),
    viewChanges: Promise.all(context.validators.map((validator) => scrapeViewChanges(validator.metricsUrl))),
  }
}

export async function measureLevel(
  context: LevelContext,
  clients: number,
  warmupMs: number,
  durationMs: number,
): Promise<LevelReport> {
  const sampler = new PeakRssSampler(
    context.validators.map((validator) => validator.pid),
    rssSampleIntervalMs,
  )
  const startedMs = performance.now()
  const phase = `load ${clients} client${clients === 1 ? '' : 's'}`
  let before: Snapshot | undefined
  let after: Snapshot | undefined
  let summary: LevelSummary
  try {
    summary = await context.generator.runLevel(
      { type: 'level', clients, warmupMs, durationMs },
      {
        windowStart: async () => {
          before = snapshot(context)
          await before.viewChanges
        },
        windowEnd: async () => {
          after = snapshot(context)
          await after.viewChanges
        },
        progress: (committed, errors) => {
          const elapsedMs = performance.now() - startedMs
          const measuring = elapsedMs >= warmupMs
          context.progress.show(
            phase,
            elapsedMs / (warmupMs + durationMs),
            measuring
              ? `${committed} committed (${(committed / ((elapsedMs - warmupMs) / 1000 || 1)).toFixed(0)} tx/s), ${errors} errors`
              : 'warming up',
          )
        },
      },
    )
  } catch (error) {
    sampler.cancel()
    throw error
  } finally {
    context.progress.done()
  }
  const rssPeaks = sampler.stop()
  if (before === undefined || after === undefined)
    throw new Error('the level ended without its window events')
  const viewsBefore = await before.viewChanges
  const viewChanges = (await after.viewChanges).map((counts, index) =>
    viewChangeDelta(viewsBefore[index]!, counts),
  )
  const windowSeconds = (after.atMs - before.atMs) / 1000
  const cpuSpent = after.validatorCpuSeconds.map(
    (seconds, index) => seconds - before!.validatorCpuSeconds[index]!,
  )
  const cpuTotal = cpuSpent.reduce((sum, seconds) => sum + seconds, 0)
  const txPerSecond = summary.committed / (summary.window_ms / 1000)
  const etcd = etcdRowFor(context.etcd, clients)
  const errors = Object.values(summary.errors).reduce((sum, count) => sum + count, 0)
  return {
    clients,
    duration_s: significant(summary.window_ms / 1000),
    committed: summary.committed,
    tx_per_s: significant(txPerSecond),
    p50_ms: summary.latency?.p50_ms ?? null,
    p95_ms: summary.latency?.p95_ms ?? null,
    p99_ms: summary.latency?.p99_ms ?? null,
    mean_ms: summary.latency?.mean_ms ?? null,
    max_ms: summary.latency?.max_ms ?? null,
    errors,
    errors_by_kind: summary.errors,
    view_changes: Math.max(...viewChanges.map((counts) => counts.total)),
    timeout_views: Math.max(...viewChanges.map((counts) => counts.tc)),
    view_changes_per_validator: viewChanges,
    validator_cpu_seconds: cpuSpent.map(significant),
    cpu_seconds_per_tx: summary.committed > 0 ? significant(cpuTotal / summary.committed) : null,
    validator_cpu_cores: significant(cpuTotal / windowSeconds),
    generator_cpu_cores: significant(
      (after.generatorCpuSeconds - before.generatorCpuSeconds) / windowSeconds,
    ),
    machine_cpu_busy_pct: significant(busyPercent(before.machine, after.machine)),
    rss_peak_bytes: rssPeaks,
    ratio_to_ceiling: significant(txPerSecond / context.ceilingTxPerSecond),
    etcd,
    ratio_to_etcd: etcd === null || etcd.ops_per_s === 0 ? null : significant(txPerSecond / etcd.ops_per_s),
  }
}
