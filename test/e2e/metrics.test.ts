// The metrics operators alert on, from real validator processes: Prometheus's own checker (`promtool check
// metrics`, Debian package `prometheus`; .ci/run installs it) accepts the live output, the figures an operator
// needs are there and move, the shipped alert rules pass `promtool check rules`, and every metric the dashboard
// and the rules query is one the validators export.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { freeBasePort } from '../support/free-ports.js'
import { readMetrics, total } from '../support/metrics-scrape.js'
import { commitTransfer } from '../support/rpc-checks.js'

const monitoring = fileURLToPath(new URL('../../docs/monitoring/', import.meta.url))
const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0
if (!promtool) {
  console.warn('metrics.test.ts: skipped, promtool not found (install the Debian package `prometheus`)')
}

/** Metric names a PromQL text refers to (ours and the default process metrics). */
function metricNamesIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\b(?:quorate|process|nodejs)_[a-z0-9_]+/g)].map((match) => match[0]))
}

describe.skipIf(!promtool)('metrics (real validator processes, promtool)', () => {
  let testnet: RunningTestnet | undefined
  let dir: string | undefined

  afterAll(async () => {
    await testnet?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('promtool accepts the live output; the operator figures are there; the rules and dashboard use them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-metrics-'))
    testnet = await startTestnet({ dir, validators: 4, accounts: 2, basePort: await freeBasePort(4) })
    const { info } = testnet
    const rpc = info.validators[1]!.rpc
    for (let nonce = 0; nonce < 3; nonce++) {
      const answer = await commitTransfer(info, rpc, nonce)
      expect(answer.code).toBe(0)
    }

    const url = new URL('/metrics', rpc).toString()
    const text = await (await fetch(url)).text()
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(`${check.stdout}${check.stderr}`.trim(), 'promtool check metrics found problems').toBe('')
    expect(check.status).toBe(0)

    const samples = await readMetrics(url)
    const has = (name: string) => samples.some((sample) => sample.name === name)
    expect(total(samples, 'quorate_build_info')).toBe(1)
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds_count',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(has(name), name).toBe(true)
    }
    expect(total(samples, 'quorate_tx_commit_latency_seconds_count')).toBeGreaterThanOrEqual(3)
    expect(total(samples, 'quorate_block_interval_seconds_count')).toBeGreaterThanOrEqual(1)
    expect(
      total(samples, 'quorate_rpc_request_duration_seconds_count', { method: 'broadcast_tx_commit' }),
    ).toBeGreaterThanOrEqual(3)
    expect(total(samples, 'quorate_peers_connected')).toBe(3)
    expect(total(samples, 'quorate_catching_up')).toBe(0)
    expect(total(samples, 'quorate_last_commit_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60)
    expect(has('quorate_mempool_bytes')).toBe(true)
    // A certificate needs 3 of the 4 votes: the blocks committed so far lack someone's.
    expect(total(samples, 'quorate_validator_missed_votes_total')).toBeGreaterThanOrEqual(1)

    const rules = join(monitoring, 'alerts.yml')
    execFileSync('promtool', ['check', 'rules', rules], { stdio: 'pipe' })
    const exported = new Set(samples.map((sample) => sample.name.replace(/_(bucket|sum|count)$/, '')))
    const histogramSeries = (name: string) => name.replace(/_(bucket|sum|count)$/, '')
    const dashboard = await readFile(join(monitoring, 'grafana-dashboard.json'), 'utf8')
    JSON.parse(dashboard)
    for (const [file, source] of [
      ['alerts.yml', await readFile(rules, 'utf8')],
      ['grafana-dashboard.json', dashboard],
    ] as const) {
      const unknown = [...metricNamesIn(source)].filter((name) => !exported.has(histogramSeries(name)))
      // Counters and gauges that only appear once something happens (evidence, corruption, rejections) are
      // still declared: prom-client writes their HELP and TYPE lines.
      const declared = unknown.filter((name) => !text.includes(`# TYPE ${histogramSeries(name)} `))
      expect(declared, `${file} queries metrics no validator exports`).toEqual([])
    }
  }, 120_000)
})
