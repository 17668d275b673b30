// A seconds-long run of the real load benchmark (`npm run bench -- load`): 4 validator processes, the load
// generator in its own process, levels of 1 and 4 clients for 2 s each, a 2 s idle period, and an etcd
// results file in run.sh's format. It checks that the JSON report holds every field with a sane value; the
// figures themselves depend on the machine and are not judged here (docs/performance.md holds a full run).

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LoadReport } from '../bench/load/report.js'
import { benchLoad } from '../bench/load.js'
import { freeBasePort } from '../support/free-ports.js'

const validators = 4
const clientCounts = [1, 4]
const etcdOpsPerSecond: Record<number, number> = { 1: 286.4, 4: 740 }

const levelFields = [
  'clients',
  'duration_s',
  'committed',
  'tx_per_s',
  'p50_ms',
  'p95_ms',
  'p99_ms',
  'mean_ms',
  'max_ms',
  'errors',
  'errors_by_kind',
  'view_changes',
  'timeout_views',
  'view_changes_per_validator',
  'validator_cpu_seconds',
  'cpu_seconds_per_tx',
  'validator_cpu_cores',
  'generator_cpu_cores',
  'machine_cpu_busy_pct',
  'rss_peak_bytes',
  'ratio_to_ceiling',
  'etcd',
  'ratio_to_etcd',
]

/** Equal up to the four significant digits the report keeps. */
function expectClose(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull()
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * 2e-3)
}

describe('the load benchmark, seconds long', () => {
  let dir: string
  let report: LoadReport
  let printed: string[]
  let file: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-load-bench-test-'))
    const etcdFile = join(dir, 'etcd.jsonl')
    const etcdLines = [
      { system: 'ed25519-bound', verify_per_s_async: 18_400, verify_per_s_sync: 8_800 },
      ...clientCounts.map((concurrency) => ({
        system: 'etcd',
        version: '3.4.23',
        members: 4,
        concurrency,
        ops_per_s: etcdOpsPerSecond[concurrency],
        p50_ms: 3.2,
        p95_ms: 5.1,
        p99_ms: 9.4,
        errors: 0,
      })),
    ]
    await writeFile(etcdFile, `${etcdLines.map((line) => JSON.stringify(line)).join('\n')}\n`)
    printed = []
    const run = await benchLoad({
      basePort: await freeBasePort(validators),
      validators,
      clients: clientCounts,
      durationMs: 2_000,
      warmupMs: 500,
      idleMs: 2_000,
      ceilingMs: 500,
      etcdResultsFile: etcdFile,
      commitRule: 'three-chain',
      resultsDir: join(dir, 'results'),
      print: (line) => printed.push(line),
    })
    file = run.file
    report = JSON.parse(await readFile(file, 'utf8')) as LoadReport
  }, 180_000)

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes one load-<time>.json in the results directory, the report it returned', async () => {
    expect(await readdir(join(dir, 'results'))).toEqual([file.slice(join(dir, 'results').length + 1)])
    expect(file).toMatch(/load-[\dT-]+Z\.json$/)
    expect(report.bench).toBe('load')
    expect(report.options).toEqual({
      validators,
      // The three-chain rule here: the other end-to-end tests run new testnets' two-chain rule.
      commit_rule: 'three-chain',
      clients: clientCounts,
      duration_ms: 2_000,
      warmup_ms: 500,
      idle_ms: 2_000,
      ceiling_ms: 500,
    })
    expect(report.machine.cores).toBeGreaterThan(0)
    expect(report.machine.clk_tck).toBeGreaterThan(0)
    expect(report.tx_bytes).toBeGreaterThan(64)
  })

  it('measures the Ed25519 ceiling in the same run and divides it by n', () => {
    expect(report.ceiling.verify_per_s_async).toBeGreaterThan(0)
    expect(report.ceiling.verify_per_s_sync).toBeGreaterThan(0)
    expect(report.ceiling.validators).toBe(validators)
    expectClose(report.ceiling.ceiling_tx_per_s, report.ceiling.verify_per_s_async / validators)
  })

  it('reports every field of every level with sane values', () => {
    expect(report.levels.map((level) => level.clients)).toEqual(clientCounts)
    for (const level of report.levels) {
      expect(Object.keys(level).sort()).toEqual([...levelFields].sort())
      expect(level.duration_s).toBeGreaterThan(0)
      expect(level.committed).toBeGreaterThan(0)
      expectClose(level.tx_per_s, level.committed / level.duration_s)
      expect(level.p50_ms).toBeGreaterThan(0)
      expect(level.p50_ms!).toBeLessThanOrEqual(level.p95_ms!)
      expect(level.p95_ms!).toBeLessThanOrEqual(level.p99_ms!)
      expect(level.p99_ms!).toBeLessThanOrEqual(level.max_ms!)
      expect(level.mean_ms).toBeGreaterThan(0)
      expect(level.errors).toBe(Object.values(level.errors_by_kind).reduce((sum, count) => sum + count, 0))
      // Every commit needs views: at least one view change in a window that committed something.
      expect(level.view_changes).toBeGreaterThan(0)
      expect(level.timeout_views).toBeGreaterThanOrEqual(0)
      expect(level.view_changes_per_validator).toHaveLength(validators)
      expect(level.validator_cpu_seconds).toHaveLength(validators)
      expect(level.cpu_seconds_per_tx).toBeGreaterThan(0)
      expect(level.validator_cpu_cores).toBeGreaterThan(0)
      expect(level.generator_cpu_cores).toBeGreaterThanOrEqual(0)
      expect(level.machine_cpu_busy_pct).toBeGreaterThan(0)
      expect(level.machine_cpu_busy_pct).toBeLessThanOrEqual(100)
      expect(level.rss_peak_bytes).toHaveLength(validators)
      for (const rss of level.rss_peak_bytes) expect(rss).toBeGreaterThan(0)
      expect(level.ratio_to_ceiling).toBeGreaterThan(0)
      expectClose(level.ratio_to_ceiling, level.tx_per_s / report.ceiling.ceiling_tx_per_s)
      expect(level.etcd?.ops_per_s).toBe(etcdOpsPerSecond[level.clients])
      expectClose(level.ratio_to_etcd, level.tx_per_s / etcdOpsPerSecond[level.clients]!)
    }
  })

  it('measures the idle period per validator', () => {
    const { idle } = report
    expect(idle.duration_s).toBeGreaterThan(0)
    expect(idle.blocks_committed).toBeGreaterThanOrEqual(0)
    expect(idle.view_changes).toBeGreaterThanOrEqual(0)
    for (const perValidator of [
      idle.cpu_pct_of_core,
      idle.write_bytes_per_minute,
      idle.dir_growth_bytes_per_minute,
    ]) {
      expect(perValidator).toHaveLength(validators)
      for (const value of perValidator) expect(Number.isFinite(value)).toBe(true)
    }
    for (const pct of idle.cpu_pct_of_core) expect(pct).toBeGreaterThanOrEqual(0)
    for (const bytes of idle.write_bytes_per_minute) expect(bytes).toBeGreaterThanOrEqual(0)
  })

  it('keeps the etcd file it was given, and prints one table row per level', () => {
    expect(report.etcd?.rows).toHaveLength(clientCounts.length)
    expect(report.etcd?.ed25519_bound?.verify_per_s_async).toBe(18_400)
    const rows = printed.filter((line) => /^\| \d+ \|/.test(line))
    expect(rows.map((row) => Number(row.split('|')[1]))).toEqual(clientCounts)
    expect(printed.some((line) => line.startsWith('idle '))).toBe(true)
    expect(printed.some((line) => line.startsWith('etcd 3.4.23 (4 members) from '))).toBe(true)
  })
})
