// The load benchmark's report: its JSON shape (snake_case, the latency fields named as etcd's reference load
// generator names them, so the two sides read alike), the table printed on stdout, and the file in
// bench-results/.

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CommitRule } from '../../../ledger/commit-rule.js'
import type { Ed25519Ceiling } from './ceiling.js'
import type { EtcdResults, EtcdRow } from './etcd-results.js'
import type { MachineDescription } from './machine.js'
import type { ViewChangeCounts } from './view-changes.js'

export interface LevelReport {
  readonly clients: number
  /** The measured window, warm-up excluded. */
  readonly duration_s: number
  readonly committed: number
  readonly tx_per_s: number
  /** Submit-to-commit latency of the transactions committed in the window; null when none was. */
  readonly p50_ms: number | null
  readonly p95_ms: number | null
  readonly p99_ms: number | null
  readonly mean_ms: number | null
  readonly max_ms: number | null
  readonly errors: number
  /** mempool_full (admission code 16), admission_<code>, receipt_<code>, rpc_<JSON-RPC code>, timeout, … */
  readonly errors_by_kind: Readonly<Record<string, number>>
  /** Views entered during the window, the most any validator entered. */
  readonly view_changes: number
  /** Views entered on a timeout certificate during the window, the most any validator entered. */
  readonly timeout_views: number
  readonly view_changes_per_validator: readonly ViewChangeCounts[]
  readonly validator_cpu_seconds: readonly number[]
  /** All validators' CPU time in the window divided by the transactions committed in it. */
  readonly cpu_seconds_per_tx: number | null
  /** All validators' CPU time in the window divided by its length: cores busy with validators. */
  readonly validator_cpu_cores: number
  readonly generator_cpu_cores: number
  /** The whole machine, every process on it included. */
  readonly machine_cpu_busy_pct: number
  /** Highest resident set size of each validator during the level, warm-up included. */
  readonly rss_peak_bytes: readonly number[]
  /** tx_per_s ÷ ceiling.ceiling_tx_per_s. */
  readonly ratio_to_ceiling: number
  readonly etcd: EtcdRow | null
  /** tx_per_s ÷ etcd.ops_per_s at the same client count; null without --etcd-results. */
  readonly ratio_to_etcd: number | null
}

export interface IdleReport {
  readonly duration_s: number
  /** Blocks validator 0 committed while no transaction was sent. */
  readonly blocks_committed: number
  readonly blocks_per_minute: number
  readonly view_changes: number
  /** Per validator, percent of one core. */
  readonly cpu_pct_of_core: readonly number[]
  /** Per validator, /proc/PID/io write_bytes per minute (LevelDB, its log file, everything it wrote). */
  readonly write_bytes_per_minute: readonly number[]
  /** Per validator, growth of its home directory (chain data, safety state, log) per minute. */
  readonly dir_growth_bytes_per_minute: readonly number[]
}

export interface LoadReport {
  readonly bench: 'load'
  readonly started_at: string
  readonly finished_at: string
  readonly machine: MachineDescription
  readonly options: {
    readonly validators: number
    readonly commit_rule: CommitRule
    readonly clients: readonly number[]
    readonly duration_ms: number
    readonly warmup_ms: number
    readonly idle_ms: number
    readonly ceiling_ms: number
  }
  /** Encoded size of every transfer sent. */
  readonly tx_bytes: number
  /** Why there is no transaction size option. */
  readonly tx_size_note: string
  readonly ceiling: Ed25519Ceiling & { readonly validators: number; readonly ceiling_tx_per_s: number }
  readonly levels: readonly LevelReport[]
  readonly idle: IdleReport
  readonly etcd: EtcdResults | null
}

/** Four significant digits: the JSON carries measurements, not float noise. */
export function significant(value: number): number {
  return value === 0 || !Number.isFinite(value) ? value : Number(value.toPrecision(4))
}

const fixed = (value: number | null, digits: number): string => (value === null ? '-' : value.toFixed(digits))
const grouped = (value: number): string => Math.round(value).toLocaleString('en-US')
const mebibytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(0)

export function formatReport(report: LoadReport): string[] {
  const { ceiling } = report
  const lines = [
    `Ed25519 ceiling: ${grouped(ceiling.verify_per_s_async)} async verifications/s on all cores ` +
      `(${grouped(ceiling.verify_per_s_sync)}/s sync on one thread) / ${ceiling.validators} validators = ` +
      `${grouped(ceiling.ceiling_tx_per_s)} tx/s; ${report.options.validators} validators, ` +
      `${report.options.commit_rule} commit rule`,
    '| clients | tx/s | p50 ms | p95 ms | p99 ms | errors | views (TC) | CPU ms/tx | validator cores | ' +
      'peak RSS MiB | ratio to ceiling | etcd ops/s | etcd p50 / p99 ms | ratio to etcd |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const level of report.levels) {
    const errors = Object.entries(level.errors_by_kind)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ')
    lines.push(
      `| ${level.clients} | ${fixed(level.tx_per_s, 1)} | ${fixed(level.p50_ms, 1)} | ${fixed(level.p95_ms, 1)} | ` +
        `${fixed(level.p99_ms, 1)} | ${level.errors}${errors === '' ? '' : ` (${errors})`} | ` +
        `${level.view_changes} (${level.timeout_views}) | ` +
        `${fixed(level.cpu_seconds_per_tx === null ? null : level.cpu_seconds_per_tx * 1000, 2)} | ` +
        `${fixed(level.validator_cpu_cores, 2)} | ${level.rss_peak_bytes.map(mebibytes).join('/')} | ` +
        `${fixed(level.ratio_to_ceiling, 4)} | ${level.etcd === null ? '-' : fixed(level.etcd.ops_per_s, 0)} | ` +
        `${level.etcd === null ? '-' : `${fixed(level.etcd.p50_ms, 1)} / ${fixed(level.etcd.p99_ms, 1)}`} | ` +
        `${fixed(level.ratio_to_etcd, 3)} |`,
    )
  }
  if (report.etcd !== null) {
    const etcdCeiling = report.etcd.ed25519_bound?.verify_per_s_async
    lines.push(
      `etcd ${report.etcd.version ?? '?'} (${report.etcd.members ?? '?'} members) from ${report.etcd.file}` +
        (typeof etcdCeiling === 'number'
          ? `; that run's Ed25519 ceiling: ${grouped(etcdCeiling)} async verifications/s (this run: ` +
            `${grouped(ceiling.verify_per_s_async)}/s)`
          : ''),
    )
  }
  const { idle } = report
  lines.push(
    `idle ${idle.duration_s.toFixed(0)} s: ${fixed(idle.blocks_per_minute, 0)} blocks/min, ` +
      `${idle.view_changes} view changes; CPU % of a core per validator ` +
      `${idle.cpu_pct_of_core.map((pct) => pct.toFixed(1)).join(' / ')}; bytes written per minute ` +
      `${idle.write_bytes_per_minute.map(grouped).join(' / ')}; home directory growth per minute ` +
      `${idle.dir_growth_bytes_per_minute.map(grouped).join(' / ')}`,
  )
  return lines
}

/** Writes a benchmark's report as `<dir>/<bench>-<start time>.json`; returns the file's path. */
export async function writeBenchReport(
  dir: string,
  report: { readonly bench: string; readonly started_at: string },
): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = join(dir, `${report.bench}-${report.started_at.replace(/[:.]/g, '-')}.json`)
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}
