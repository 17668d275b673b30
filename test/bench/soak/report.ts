// The soak benchmark's report: its JSON shape, the per-validator RSS figures computed from the series, the
// lines printed on stdout, and the file in bench-results/.

import { leastSquaresSlope } from '../figures.js'
import type { MachineDescription } from '../load/machine.js'
import { significant } from '../load/report.js'
import type { RssSample } from './rss-series.js'

/**
 * The bound on each validator's RSS slope below which the run counts as flat, in MiB per minute. Why this
 * value is in docs/performance.md ("Memory over a 10-minute run").
 */
export const rssFlatSlopeMibPerMinuteMax = 1

export interface ValidatorRss {
  readonly validator: number
  /** VmRSS at the start of the measured window (after the warm-up) and at its end. */
  readonly start_bytes: number
  readonly end_bytes: number
  /** The highest sample inside the window. */
  readonly max_bytes: number
  /** Least-squares slope of VmRSS over the window's samples (the verdict's figure); over its second half. */
  readonly slope_mib_per_min: number | null
  readonly second_half_slope_mib_per_min: number | null
  /**
   * Least-squares slope through the lowest sample of each tenth of the window: memory that stays after the
   * garbage collector and the allocator have given back what they could, where a leak shows and a transient
   * peak does not.
   */
  readonly floor_slope_mib_per_min: number | null
  /** RssAnon (heap and native allocations) and RssFile (resident pages of mapped files) likewise. */
  readonly anon_start_bytes: number
  readonly anon_end_bytes: number
  readonly anon_slope_mib_per_min: number | null
  readonly file_start_bytes: number
  readonly file_end_bytes: number
  readonly file_slope_mib_per_min: number | null
}

export interface SoakReport {
  readonly bench: 'soak'
  readonly started_at: string
  readonly finished_at: string
  readonly machine: MachineDescription
  readonly options: {
    readonly validators: number
    readonly clients: number
    readonly duration_ms: number
    readonly warmup_ms: number
    readonly load_share: number
    readonly saturation_ms: number
    readonly saturation_warmup_ms: number
    readonly sample_interval_ms: number
  }
  /** Closed-loop, every client at full speed, measured first. */
  readonly saturation: {
    readonly clients: number
    readonly duration_s: number
    readonly tx_per_s: number
    readonly p50_ms: number | null
    readonly p99_ms: number | null
    readonly errors: number
  }
  /** load_share × saturation.tx_per_s, offered by the paced clients together. */
  readonly offered_tx_per_s: number
  /** The measured window, warm-up excluded. */
  readonly window: {
    readonly duration_s: number
    readonly committed: number
    readonly tx_per_s: number
    /** From each transaction's scheduled send time to its commit answer. */
    readonly p50_ms: number | null
    readonly p95_ms: number | null
    readonly p99_ms: number | null
    readonly max_ms: number | null
    readonly errors: number
    readonly errors_by_kind: Readonly<Record<string, number>>
    readonly validator_cpu_cores: number
    /** Views entered on a timeout certificate, the most any validator entered. */
    readonly timeout_views: number
    /** Blocks validator 0 committed in the window. */
    readonly blocks_committed: number
  }
  readonly rss: readonly ValidatorRss[]
  readonly rss_flat_slope_mib_per_min_max: number
  /** 'flat' when every validator's slope is below the bound. */
  readonly verdict: 'flat' | 'growing'
  /** Seconds since the window's start (negative in the warm-up), then each validator's VmRSS in bytes. */
  readonly rss_series: readonly (readonly number[])[]
  /** The same rows with RssAnon, and with RssFile. */
  readonly rss_anon_series: readonly (readonly number[])[]
  readonly rss_file_series: readonly (readonly number[])[]
  /** The window's end in the series' time (its start is 0): the samples from 0 to here are the window's. */
  readonly rss_window_end_s: number
}

const mebibyte = 2 ** 20

/** Tenths of the window, each giving its lowest sample to the floor slope. */
const floorBucketCount = 10

/** Per validator, the RSS figures of the samples from `startMs` to `endMs`. */
export function rssFigures(samples: readonly RssSample[], startMs: number, endMs: number): ValidatorRss[] {
  const window = samples.filter((sample) => sample.atMs >= startMs && sample.atMs <= endMs)
  const first = window[0]
  const last = window[window.length - 1]
  if (first === undefined || last === undefined) throw new RangeError('no RSS sample inside the window')
  const halfMs = (startMs + endMs) / 2
  const slope = (points: readonly { readonly atMs: number; readonly bytes: number }[]): number | null => {
    const perMs = leastSquaresSlope(points.map((point) => ({ x: point.atMs, y: point.bytes })))
    return perMs === null ? null : significant((perMs * 60_000) / mebibyte)
  }
  const series = (pick: (sample: RssSample) => readonly number[], validator: number) =>
    window.map((sample) => ({ atMs: sample.atMs, bytes: pick(sample)[validator]! }))
  const floor = (points: readonly { readonly atMs: number; readonly bytes: number }[]) => {
    const bucketMs = (endMs - startMs) / floorBucketCount
    const lowest = new Map<number, { atMs: number; bytes: number }>()
    for (const point of points) {
      const bucket = Math.min(floorBucketCount - 1, Math.floor((point.atMs - startMs) / bucketMs))
      const held = lowest.get(bucket)
      if (held === undefined || point.bytes < held.bytes) lowest.set(bucket, point)
    }
    return [...lowest.values()]
  }
  return first.rssBytes.map((startBytes, validator) => {
    const rss = series((sample) => sample.rssBytes, validator)
    const anon = series((sample) => sample.anonBytes, validator)
    const file = series((sample) => sample.fileBytes, validator)
    return {
      validator,
      start_bytes: startBytes,
      end_bytes: last.rssBytes[validator]!,
      max_bytes: Math.max(...rss.map((point) => point.bytes)),
      slope_mib_per_min: slope(rss),
      second_half_slope_mib_per_min: slope(rss.filter((point) => point.atMs >= halfMs)),
      floor_slope_mib_per_min: slope(floor(rss)),
      anon_start_bytes: first.anonBytes[validator]!,
      anon_end_bytes: last.anonBytes[validator]!,
      anon_slope_mib_per_min: slope(anon),
      file_start_bytes: first.fileBytes[validator]!,
      file_end_bytes: last.fileBytes[validator]!,
      file_slope_mib_per_min: slope(file),
    }
  })
}

const fixed = (value: number | null, digits = 1): string => (value === null ? '-' : value.toFixed(digits))
const mebibytes = (bytes: number): string => (bytes / mebibyte).toFixed(1)

export function formatSoakReport(report: SoakReport): string[] {
  const { saturation, window } = report
  const lines = [
    `soak: ${report.options.validators} validators; saturation (${saturation.clients} closed-loop clients, ` +
      `${saturation.duration_s} s): ${fixed(saturation.tx_per_s)} tx/s, p50 / p99 ${fixed(saturation.p50_ms)} / ` +
      `${fixed(saturation.p99_ms)} ms`,
    `offered ${fixed(report.offered_tx_per_s)} tx/s (${report.options.load_share} of it) by ` +
      `${report.options.clients} paced clients for ${window.duration_s} s after a ` +
      `${report.options.warmup_ms / 1000} s warm-up: committed ${fixed(window.tx_per_s)} tx/s, p50 / p99 ` +
      `${fixed(window.p50_ms)} / ${fixed(window.p99_ms)} ms (max ${fixed(window.max_ms)}), errors ${window.errors}` +
      `${
        window.errors === 0
          ? ''
          : ` (${Object.entries(window.errors_by_kind)
              .map(([kind, count]) => `${kind} ${count}`)
              .join(', ')})`
      }, ` +
      `${window.timeout_views} timeout views, ${window.blocks_committed} blocks, validators ` +
      `${fixed(window.validator_cpu_cores, 2)} cores`,
    '| validator | RSS start MiB | end MiB | max MiB | slope MiB/min | second half | floor | ' +
      'anon start → end MiB (slope) | file start → end MiB (slope) |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  for (const rss of report.rss) {
    lines.push(
      `| ${rss.validator} | ${mebibytes(rss.start_bytes)} | ${mebibytes(rss.end_bytes)} | ` +
        `${mebibytes(rss.max_bytes)} | ${fixed(rss.slope_mib_per_min, 2)} | ` +
        `${fixed(rss.second_half_slope_mib_per_min, 2)} | ${fixed(rss.floor_slope_mib_per_min, 2)} | ` +
        `${mebibytes(rss.anon_start_bytes)} → ${mebibytes(rss.anon_end_bytes)} ` +
        `(${fixed(rss.anon_slope_mib_per_min, 2)}) | ${mebibytes(rss.file_start_bytes)} → ` +
        `${mebibytes(rss.file_end_bytes)} (${fixed(rss.file_slope_mib_per_min, 2)}) |`,
    )
  }
  lines.push(
    `verdict: ${report.verdict} (every slope below ${report.rss_flat_slope_mib_per_min_max} MiB/min: ` +
      `${report.verdict === 'flat' ? 'yes' : 'no'})`,
  )
  return lines
}
