import { startBenchTestnet } from './load/bench-testnet.js'
// `npm run bench -- soak [--duration-ms 600000] [--load-share 0.5] [--warmup-ms 30000] [--clients 256]
// [--saturation-ms 10000] [--validators 4] [--base-port P]`: the issue's "RSS flat over a 10-minute run at 50%
// load". A fresh testnet of real validator processes and the load generator (its own process); first the
// saturated rate (every client closed-loop at full speed, briefly), then `load-share` of it offered by paced
// clients (one shared schedule of send slots: test/bench/load/rate-pacer.ts) for the warm-up and the
// duration, while every validator's RSS is read from /proc each second. The report: RSS at the window's start
// and end, its maximum and least-squares slope per validator, the committed rate, latency and errors, and the
// verdict against rssFlatSlopeMibPerMinuteMax; on stdout and in bench-results/soak-<time>.json.

import '../../node/polyfills.js'
import { rm } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { rpcCall } from '../../node/rpc/client.js'
import { type LevelListener, LoadGeneratorProcess } from './load/generator-process.js'
import { describeMachine } from './load/machine.js'
import { cpuSeconds } from './load/proc.js'
import { ProgressLine } from './load/progress.js'
import type { LevelSummary } from './load/protocol.js'
import { significant, writeBenchReport } from './load/report.js'
import { scrapeViewChanges, type ViewChangeCounts } from './load/view-changes.js'
import { formatSoakReport, rssFigures, rssFlatSlopeMibPerMinuteMax, type SoakReport } from './soak/report.js'
import { RssSeries } from './soak/rss-series.js'

export interface BenchSoakOptions {
  readonly basePort: number
  readonly validators: number
  /** Clients of the saturation level, and paced clients of the soak (they bound what is in flight). */
  readonly clients: number
  /** The measured window. */
  readonly durationMs: number
  /** Paced load before the window, not measured: caches, connections and the heap settle. */
  readonly warmupMs: number
  /** The fraction of the saturated rate offered during the soak. */
  readonly loadShare: number
  /** The saturation level's measured window (after a short warm-up of its own). */
  readonly saturationMs: number
  /** Before the saturation window: the clients read their nonces and the validators' code warms up. */
  readonly saturationWarmupMs: number
  readonly sampleIntervalMs: number
  readonly resultsDir: string
  readonly print: (line: string) => void
}

export const benchSoakDefaults = {
  validators: 4,
  clients: 256,
  durationMs: 600_000,
  warmupMs: 30_000,
  loadShare: 0.5,
  saturationMs: 10_000,
  saturationWarmupMs: 5_000,
  sampleIntervalMs: 1_000,
  resultsDir: 'bench-results',
} as const

export async function benchSoak(options: BenchSoakOptions): Promise<{ report: SoakReport; file: string }> {
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const progress = new ProgressLine()
  const { dir, testnet } = await startBenchTestnet(
    'soak',
    { validators: options.validators, accounts: options.clients, basePort: options.basePort },
    progress,
  )
  let generator: LoadGeneratorProcess | undefined
  let series: RssSeries | undefined
  try {
    generator = await LoadGeneratorProcess.start(testnet.infoFile)
    const pids = testnet.info.validators.map((validator) => validator.pid)
    const metricsUrls = testnet.info.validators.map((validator) => validator.metrics)
    const rpcUrl = testnet.info.validators[0]!.rpc

    const saturation = await generator.runLevel(
      {
        type: 'level',
        clients: options.clients,
        warmupMs: options.saturationWarmupMs,
        durationMs: options.saturationMs,
      },
      levelProgress(
        progress,
        `saturation, ${options.clients} clients`,
        options.saturationWarmupMs + options.saturationMs,
      ),
    )
    progress.done()
    const saturatedTxPerSecond = saturation.committed / (saturation.window_ms / 1000)
    if (!(saturatedTxPerSecond > 0)) throw new Error('the saturation level committed nothing')
    const rate = options.loadShare * saturatedTxPerSecond

    series = new RssSeries(pids, options.sampleIntervalMs)
    const edges: Array<{
      atMs: number
      cpu: number[]
      views: Promise<ViewChangeCounts[]>
      height: Promise<number>
    }> = []
    const edge = async (): Promise<void> => {
      const taken = {
        atMs: series!.sample().atMs,
        cpu: pids.map(cpuSeconds),
        views: Promise.all(metricsUrls.map(scrapeViewChanges)),
        height: rpcCall<{ height: number }>(rpcUrl, 'status', {}, { timeoutMs: 5_000 }).then(
          (status) => status.height,
        ),
      }
      edges.push(taken)
      await Promise.all([taken.views, taken.height])
    }
    const soakPhase = `soak at ${rate.toFixed(0)} tx/s`
    const totalMs = options.warmupMs + options.durationMs
    const startedMs = performance.now()
    const soak = await generator.runLevel(
      {
        type: 'level',
        clients: options.clients,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        rate,
      },
      {
        windowStart: edge,
        windowEnd: edge,
        progress: (committed, errors) => {
          const elapsedMs = performance.now() - startedMs
          progress.show(
            soakPhase,
            elapsedMs / totalMs,
            elapsedMs < options.warmupMs ? 'warming up' : `${committed} committed, ${errors} errors`,
          )
        },
      },
    )
    progress.done()
    const samples = series.stop()
    const [start, end] = edges
    if (start === undefined || end === undefined) throw new Error('the soak ended without its window events')
    const windowSeconds = (end.atMs - start.atMs) / 1000
    const cpuTotal = end.cpu.reduce((sum, seconds, index) => sum + seconds - start.cpu[index]!, 0)
    const viewsBefore = await start.views
    const timeoutViews = (await end.views).map((counts, index) => counts.tc - viewsBefore[index]!.tc)
    const rss = rssFigures(samples, start.atMs, end.atMs)
    const secondsSinceStart = (atMs: number): number => Math.round(atMs - start.atMs) / 1000
    const errorsOf = (summary: LevelSummary): number =>
      Object.values(summary.errors).reduce((sum, count) => sum + count, 0)
    const report: SoakReport = {
      bench: 'soak',
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      machine,
      options: {
        validators: options.validators,
        clients: options.clients,
        duration_ms: options.durationMs,
        warmup_ms: options.warmupMs,
        load_share: options.loadShare,
        saturation_ms: options.saturationMs,
        saturation_warmup_ms: options.saturationWarmupMs,
        sample_interval_ms: options.sampleIntervalMs,
      },
      saturation: {
        clients: options.clients,
        duration_s: significant(saturation.window_ms / 1000),
        tx_per_s: significant(saturatedTxPerSecond),
        p50_ms: saturation.latency?.p50_ms ?? null,
        p99_ms: saturation.latency?.p99_ms ?? null,
        errors: errorsOf(saturation),
      },
      offered_tx_per_s: significant(rate),
      window: {
        duration_s: significant(soak.window_ms / 1000),
        committed: soak.committed,
        tx_per_s: significant(soak.committed / (soak.window_ms / 1000)),
        p50_ms: soak.latency?.p50_ms ?? null,
        p95_ms: soak.latency?.p95_ms ?? null,
        p99_ms: soak.latency?.p99_ms ?? null,
        max_ms: soak.latency?.max_ms ?? null,
        errors: errorsOf(soak),
        errors_by_kind: soak.errors,
        validator_cpu_cores: significant(cpuTotal / windowSeconds),
        timeout_views: Math.max(...timeoutViews),
        blocks_committed: (await end.height) - (await start.height),
      },
      rss,
      rss_flat_slope_mib_per_min_max: rssFlatSlopeMibPerMinuteMax,
      verdict: rss.every(
        (validator) =>
          validator.slope_mib_per_min !== null && validator.slope_mib_per_min < rssFlatSlopeMibPerMinuteMax,
      )
        ? 'flat'
        : 'growing',
      rss_series: samples.map((sample) => [secondsSinceStart(sample.atMs), ...sample.rssBytes]),
      rss_anon_series: samples.map((sample) => [secondsSinceStart(sample.atMs), ...sample.anonBytes]),
      rss_file_series: samples.map((sample) => [secondsSinceStart(sample.atMs), ...sample.fileBytes]),
      rss_window_end_s: secondsSinceStart(end.atMs),
    }
    const file = await writeBenchReport(options.resultsDir, report)
    for (const line of formatSoakReport(report)) options.print(line)
    options.print(`written to ${file}`)
    return { report, file }
  } finally {
    series?.cancel()
    progress.done()
    generator?.stopLevel()
    await generator?.stop()
    await testnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** A level whose window needs no snapshots, with its progress on the bar. */
function levelProgress(progress: ProgressLine, phase: string, totalMs: number): LevelListener {
  const startedMs = performance.now()
  return {
    windowStart: async () => {},
    windowEnd: async () => {},
    progress: (committed, errors) =>
      progress.show(
        phase,
        (performance.now() - startedMs) / totalMs,
        `${committed} committed, ${errors} errors`,
      ),
  }
}
