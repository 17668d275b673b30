import { startBenchTestnet } from './load/bench-testnet.js'
// `npm run bench -- load [--validators 4] [--clients 1,16,64,256] [--duration-ms 15000] [--warmup-ms 1000]
// [--idle-ms 60000] [--ceiling-ms 3000] [--etcd-results FILE] [--commit-rule two-chain|three-chain]
// [--base-port P]`: throughput, latency and cost
// of a testnet of real validator processes under closed-loop load through JSON-RPC, against the Ed25519
// ceiling measured in the same run (and etcd's figures, when given). In order: the ceiling on the still idle
// machine; a fresh testnet with one funded account per client; the load generator (its own process); one
// level per client count; an idle period; the report on stdout and in bench-results/load-<time>.json.
// Progress goes to stderr. docs/performance.md explains every figure and how to produce the etcd file.

import '../../node/polyfills.js'
import { execFileSync } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { generateKeyPair } from '../../crypto/index.js'
import { encodeTx } from '../../ledger/codec/index.js'
import type { CommitRule } from '../../ledger/commit-rule.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { measureEd25519Ceiling } from './load/ceiling.js'
import { type EtcdResults, readEtcdResults } from './load/etcd-results.js'
import { LoadGeneratorProcess } from './load/generator-process.js'
import { measureIdle } from './load/idle.js'
import { describeMachine } from './load/machine.js'
import { measureLevel } from './load/measure-level.js'
import { ProgressLine } from './load/progress.js'
import {
  formatReport,
  type LevelReport,
  type LoadReport,
  significant,
  writeBenchReport,
} from './load/report.js'

export interface BenchLoadOptions {
  readonly basePort: number
  readonly validators: number
  /** One level per entry, in this order. */
  readonly clients: readonly number[]
  /** Measured window per level. */
  readonly durationMs: number
  /** Load before each window that is not counted. */
  readonly warmupMs: number
  readonly idleMs: number
  /** The asynchronous phase of the ceiling measurement; the synchronous one takes half as long. */
  readonly ceilingMs: number
  readonly etcdResultsFile?: string
  /** The testnet's genesis commit rule. */
  readonly commitRule: CommitRule
  /** Where the JSON report goes. */
  readonly resultsDir: string
  /** Results (the table); progress goes to stderr regardless. */
  readonly print: (line: string) => void
}

export const benchLoadDefaults = {
  validators: 4,
  clients: [1, 16, 64, 256],
  durationMs: 15_000,
  warmupMs: 1_000,
  idleMs: 60_000,
  ceilingMs: 3_000,
  resultsDir: 'bench-results',
} as const

export const txSizeNote =
  'no transaction size option: a transfer has a fixed layout (ledger/codec/tx.ts) with no memo or padding ' +
  'field, so every transaction sent is tx_bytes long'

export async function benchLoad(options: BenchLoadOptions): Promise<{ report: LoadReport; file: string }> {
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const progress = new ProgressLine()
  const etcd: EtcdResults | null =
    options.etcdResultsFile === undefined ? null : await readEtcdResults(options.etcdResultsFile)
  if (etcd === null && etcdInstalled()) {
    console.error(
      'etcd is installed: for the comparison, run ../shared/reference/etcd/run.sh > etcd.jsonl first and pass ' +
        '--etcd-results etcd.jsonl (docs/performance.md)',
    )
  }
  const maxClients = Math.max(...options.clients)
  progress.show('Ed25519 ceiling', 0, `${(options.ceilingMs * 1.5) / 1000} s`)
  const measured = await measureEd25519Ceiling({ asyncMs: options.ceilingMs, syncMs: options.ceilingMs / 2 })
  progress.done()
  const ceiling = {
    ...measured,
    validators: options.validators,
    ceiling_tx_per_s: significant(measured.verify_per_s_async / options.validators),
  }

  const { dir, testnet } = await startBenchTestnet(
    'load',
    {
      validators: options.validators,
      accounts: maxClients,
      basePort: options.basePort,
      commitRule: options.commitRule,
    },
    progress,
  )
  let generator: LoadGeneratorProcess | undefined
  try {
    generator = await LoadGeneratorProcess.start(testnet.infoFile)
    const validators = testnet.info.validators.map((validator) => ({
      pid: validator.pid,
      metricsUrl: validator.metrics,
      rpcUrl: validator.rpc,
      home: validator.data_dir,
    }))
    const levels: LevelReport[] = []
    for (const clients of options.clients) {
      const context = { generator, validators, ceilingTxPerSecond: ceiling.ceiling_tx_per_s, etcd, progress }
      levels.push(await measureLevel(context, clients, options.warmupMs, options.durationMs))
    }
    await generator.stop()
    const idle = await measureIdle(validators, options.idleMs, progress)
    const report: LoadReport = {
      bench: 'load',
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      machine,
      options: {
        validators: options.validators,
        commit_rule: options.commitRule,
        clients: options.clients,
        duration_ms: options.durationMs,
        warmup_ms: options.warmupMs,
        idle_ms: options.idleMs,
        ceiling_ms: options.ceilingMs,
      },
      tx_bytes: transferBytes(testnet.info.chain_id),
      tx_size_note: txSizeNote,
      ceiling,
      levels,
      idle,
      etcd,
    }
    const file = await writeBenchReport(options.resultsDir, report)
    for (const line of formatReport(report)) options.print(line)
    options.print(`written to ${file}`)
    return { report, file }
  } finally {
    await generator?.stop()
    await testnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The encoded size of a transfer as the load generator sends it (every field has a fixed width). */
function transferBytes(chainId: string): number {
  const keyPair = generateKeyPair()
  const tx = buildTransfer({ chainId, keyPair, to: keyPair.publicKey, amount: 1n, nonce: 0 })
  return encodeTx(tx).length
}

function etcdInstalled(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v etcd'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
