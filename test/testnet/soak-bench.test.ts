// A seconds-long run of the real soak benchmark (`npm run bench -- soak`): 4 validator processes, the load
// generator in its own process, a 2 s saturation level of 16 closed-loop clients (after 1 s of warm-up), then
// half its rate offered by 16 paced clients for 1 s of warm-up and 4 s of window while every validator's RSS
// is sampled every 250 ms. It checks the report's shape, that the series holds samples of every validator,
// and that the figures are computed from them; whether RSS stays flat over ten minutes is the full run's
// question (docs/performance.md).

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SoakReport } from '../bench/soak/report.js'
import { benchSoak } from '../bench/soak.js'
import { freeBasePort } from '../support/free-ports.js'

const validators = 4
const sampleIntervalMs = 250
const durationMs = 4_000

describe('the soak benchmark, seconds long', () => {
  let dir: string
  let report: SoakReport
  let printed: string[]
  let file: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-soak-bench-test-'))
    printed = []
    const run = await benchSoak({
      basePort: await freeBasePort(validators),
      validators,
      clients: 16,
      durationMs,
      warmupMs: 1_000,
      loadShare: 0.5,
      saturationMs: 2_000,
      saturationWarmupMs: 1_000,
      sampleIntervalMs,
      resultsDir: join(dir, 'results'),
      print: (line) => printed.push(line),
    })
    file = run.file
    report = JSON.parse(await readFile(file, 'utf8')) as SoakReport
  }, 120_000)

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes one soak-<time>.json, the report it returned', async () => {
    expect(await readdir(join(dir, 'results'))).toEqual([file.slice(join(dir, 'results').length + 1)])
    expect(file).toMatch(/soak-[\dT-]+Z\.json$/)
    expect(report.bench).toBe('soak')
    expect(report.options).toEqual({
      validators,
      clients: 16,
      duration_ms: durationMs,
      warmup_ms: 1_000,
      load_share: 0.5,
      saturation_ms: 2_000,
      saturation_warmup_ms: 1_000,
      sample_interval_ms: sampleIntervalMs,
    })
  })

  it('offers load_share of the saturated rate, and commits under it', () => {
    expect(report.saturation.tx_per_s).toBeGreaterThan(0)
    expect(report.offered_tx_per_s).toBeCloseTo(report.saturation.tx_per_s * 0.5, 1)
    const { window } = report
    expect(window.duration_s).toBeGreaterThan(0)
    expect(window.committed).toBeGreaterThan(0)
    expect(window.p50_ms).toBeGreaterThan(0)
    expect(window.p50_ms!).toBeLessThanOrEqual(window.p99_ms!)
    expect(window.p99_ms!).toBeLessThanOrEqual(window.max_ms!)
    expect(window.errors).toBe(Object.values(window.errors_by_kind).reduce((sum, count) => sum + count, 0))
    expect(window.validator_cpu_cores).toBeGreaterThan(0)
    expect(window.timeout_views).toBeGreaterThanOrEqual(0)
    expect(window.blocks_committed).toBeGreaterThan(0)
  })

  it('samples every validator’s RSS through the window and reports each one’s start, end, max and slope', () => {
    const inWindow = report.rss_series.filter((row) => row[0]! >= 0 && row[0]! <= report.rss_window_end_s)
    // A sample at each edge and one every 250 ms between them: at least a few, whatever the machine's load.
    expect(inWindow.length).toBeGreaterThanOrEqual(3)
    for (const row of report.rss_series) {
      expect(row).toHaveLength(1 + validators)
      for (const bytes of row.slice(1)) expect(bytes).toBeGreaterThan(0)
    }
    expect(report.rss).toHaveLength(validators)
    for (const rss of report.rss) {
      const column = inWindow.map((row) => row[1 + rss.validator]!)
      expect(rss.start_bytes).toBe(column[0])
      expect(rss.end_bytes).toBe(column[column.length - 1])
      expect(rss.max_bytes).toBe(Math.max(...column))
      expect(rss.slope_mib_per_min).not.toBeNull()
      expect(rss.floor_slope_mib_per_min).not.toBeNull()
      // VmRSS is RssAnon + RssFile + RssShmem, read from one /proc/PID/status.
      expect(rss.anon_start_bytes).toBeGreaterThan(0)
      expect(rss.file_start_bytes).toBeGreaterThan(0)
      expect(rss.anon_start_bytes + rss.file_start_bytes).toBeLessThanOrEqual(rss.start_bytes)
      expect(rss.anon_end_bytes + rss.file_end_bytes).toBeLessThanOrEqual(rss.end_bytes)
    }
    expect(report.rss_anon_series).toHaveLength(report.rss_series.length)
    expect(report.rss_file_series).toHaveLength(report.rss_series.length)
    expect(report.rss_flat_slope_mib_per_min_max).toBe(1)
    const flat = report.rss.every((rss) => rss.slope_mib_per_min! < report.rss_flat_slope_mib_per_min_max)
    expect(report.verdict).toBe(flat ? 'flat' : 'growing')
  })

  it('prints one RSS row per validator and the verdict', () => {
    expect(printed.filter((line) => /^\| \d+ \|/.test(line))).toHaveLength(validators)
    expect(printed.some((line) => line.startsWith(`verdict: ${report.verdict}`))).toBe(true)
  })
})
