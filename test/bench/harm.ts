// `npm run bench -- harm [--duration-ms 20000] [--fixture NAME] [--clients 16] [--base-port P]`: the harm table
// with real validator processes (n = 4): for each malicious fixture, a fresh testnet whose validator 3 runs it
// (`quorate start --byzantine NAME`), closed-loop clients that sign a transfer, send it with
// broadcast_tx_commit to an honest validator and wait for its commit before the next one; committed tx/s and
// p50/p99 submit-to-commit latency over the measured window, relative to the same run with validator 3
// `silent` (crashed). A first run with validator 3 honest (`fault-free`) shows what the crashed one costs
// (issue 9's target: at least 75% of the fault-free throughput). Prints the table and writes it as JSON to
// bench-results/harm-<time>.json.
import '../../node/polyfills.js'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromHex, type KeyPair, readKeyFile } from '../../crypto/index.js'
import { buildTransfer, txToHex } from '../../node/client/transfer.js'
import { rpcCall } from '../../node/rpc/client.js'
import { type ByzantineName, byzantineNames } from '../../testnet/byzantine/index.js'
import { startTestnet } from '../../testnet/runner.js'
import { harmLatencyRatioMax, harmThroughputRatioMin } from '../support/harm-bounds.js'

export interface BenchHarmOptions {
  readonly basePort: number
  readonly durationMs: number
  readonly clients: number
  readonly fixtures?: readonly ByzantineName[]
}

/** Validator 3 runs a malicious fixture, or the honest code ('fault-free'). */
type BenchHarmRun = ByzantineName | 'fault-free'

interface HarmMeasurement {
  readonly fixture: BenchHarmRun
  readonly txPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
}

const validatorCount = 4
const byzantineIndex = 3
const warmUpMs = 5_000
const commitTimeoutMs = 30_000
const write = (line: string) => process.stdout.write(`${line}\n`)

export async function benchHarm(options: BenchHarmOptions): Promise<void> {
  const fixtures: BenchHarmRun[] = [
    'fault-free',
    'silent',
    ...(options.fixtures ?? byzantineNames).filter((name) => name !== 'silent'),
  ]
  write(
    `harm with real processes: n = ${validatorCount}, validator ${byzantineIndex} Byzantine, ${options.clients} ` +
      `closed-loop clients, ${options.durationMs / 1000} s measured after ${warmUpMs / 1000} s; bounds: ` +
      `throughput >= ${harmThroughputRatioMin}x, p99 <= ${harmLatencyRatioMax}x of silent`,
  )
  const rows: Array<
    HarmMeasurement & { throughputRatio: number; latencyRatio: number; withinBounds: boolean }
  > = []
  let baseline: HarmMeasurement | undefined
  let faultFree: HarmMeasurement | undefined
  write('| fixture | tx/s | vs silent | p50 ms | p99 ms | vs silent | errors | verdict |')
  write('|---|---|---|---|---|---|---|---|')
  for (const [i, fixture] of fixtures.entries()) {
    write(`  [${i + 1}/${fixtures.length}] ${fixture}: starting a testnet…`)
    const measured = await measure(fixture, options)
    if (fixture === 'fault-free') {
      faultFree = measured
      write(
        `| fault-free | ${measured.txPerSecond.toFixed(1)} | | ${measured.p50Ms.toFixed(0)} | ` +
          `${measured.p99Ms.toFixed(0)} | | ${measured.errors} | reference |`,
      )
      continue
    }
    baseline ??= measured
    if (fixture === 'silent' && faultFree !== undefined)
      write(
        `  crashed vs fault-free throughput: ${(measured.txPerSecond / faultFree.txPerSecond).toFixed(2)}x`,
      )
    const throughputRatio = measured.txPerSecond / baseline.txPerSecond
    const latencyRatio = measured.p99Ms / baseline.p99Ms
    const withinBounds = throughputRatio >= harmThroughputRatioMin && latencyRatio <= harmLatencyRatioMax
    rows.push({ ...measured, throughputRatio, latencyRatio, withinBounds })
    write(
      `| ${fixture} | ${measured.txPerSecond.toFixed(1)} | ${throughputRatio.toFixed(2)} | ${measured.p50Ms.toFixed(0)} | ` +
        `${measured.p99Ms.toFixed(0)} | ${latencyRatio.toFixed(2)} | ${measured.errors} | ${withinBounds ? 'ok' : 'FAIL'} |`,
    )
  }
  await mkdir('bench-results', { recursive: true })
  const file = join('bench-results', `harm-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(
    file,
    `${JSON.stringify({ validators: validatorCount, ...options, faultFree, rows }, null, 2)}\n`,
  )
  const outside = rows.filter((row) => !row.withinBounds).length
  write(`harm: ${rows.length} fixtures, ${outside} outside the bounds; written to ${file}`)
  if (outside > 0) process.exitCode = 1
}

async function measure(fixture: BenchHarmRun, options: BenchHarmOptions): Promise<HarmMeasurement> {
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-harm-'))
  const testnet = await startTestnet({
    dir,
    validators: validatorCount,
    accounts: options.clients,
    basePort: options.basePort,
    ...(fixture === 'fault-free' ? {} : { byzantine: { [byzantineIndex]: fixture } }),
  })
  try {
    const honestRpcs = testnet.info.validators
      .filter((_, index) => index !== byzantineIndex)
      .map((v) => v.rpc)
    const accounts = await Promise.all(testnet.info.accounts.map((a) => readKeyFile(a.key_file)))
    const startMs = performance.now()
    const measureFromMs = startMs + warmUpMs
    const endMs = measureFromMs + options.durationMs
    const latencies: number[] = []
    let committed = 0
    let errors = 0
    await Promise.all(
      accounts.map(async (keys, client) => {
        const to = fromHex(testnet.info.accounts[(client + 1) % accounts.length]!.address, 32)
        for (let nonce = 0; performance.now() < endMs; nonce++) {
          const rpc = honestRpcs[client % honestRpcs.length]!
          const sentMs = performance.now()
          const ok = await commitTransfer(rpc, testnet.info.chain_id, keys, to, nonce)
          const doneMs = performance.now()
          if (!ok) {
            errors++
            continue
          }
          if (sentMs >= measureFromMs && doneMs <= endMs) latencies.push(doneMs - sentMs)
          if (doneMs >= measureFromMs && doneMs <= endMs) committed++
        }
      }),
    )
    latencies.sort((a, b) => a - b)
    return {
      fixture,
      txPerSecond: committed / (options.durationMs / 1000),
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      errors,
    }
  } finally {
    await testnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

async function commitTransfer(
  rpc: string,
  chainId: string,
  keyPair: KeyPair,
  to: Uint8Array,
  nonce: number,
): Promise<boolean> {
  const tx = buildTransfer({ chainId, keyPair, to, amount: 1n, nonce })
  try {
    const answer = await rpcCall<{ code: number; height?: number }>(
      rpc,
      'broadcast_tx_commit',
      { tx: txToHex(tx) },
      { timeoutMs: commitTimeoutMs },
    )
    return answer.height !== undefined
  } catch {
    return false
  }
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.POSITIVE_INFINITY
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
