// `npm run bench -- flood [--base-port P]`: what a flood of invalid frames from one permitted peer costs the
// validator it targets, and the chain. A 4-validator testnet whose validator 3 is replaced by a hostile peer
// holding its node key, connected to the three honest validators throughout; a light transfer load through
// validators 1 and 2; two phases of equal length: A without flood, B with the hostile peer flooding validator
// 0, from its own thread (one core), with undecodable and badly signed consensus frames, undecodable
// transactions and framing attacks (oversized, truncated, invalid prefixes). Per phase: blocks/s and tx/s,
// validator 0's event-loop delay (from its /metrics), the status RPC round trip to it measured from a thread
// that does not flood, its memory, and what it counted; printed as a table with the ratio B/A.
import '../../node/polyfills.js'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { fromHex, readKeyFile, toHex } from '../../crypto/index.js'
import { encodeConsensusMessage } from '../../ledger/codec/index.js'
import { homePaths } from '../../node/config.js'
import { rpcCall } from '../../node/rpc/client.js'
import { encodeFrame } from '../../p2p/frame-codec.js'
import { startTestnet } from '../../testnet/runner.js'
import { Prng } from '../sim/prng.js'
import {
  badSignatureConsensusMessages,
  type FloodResult,
  framingAttacks,
  HostilePeer,
  type HostileTarget,
  hostileProtocol,
  hostileProtocols,
  undecodableBodies,
} from '../support/hostile-peer.js'
import { TransferLoad } from '../support/load.js'

export interface BenchFloodOptions {
  readonly basePort: number
  /** Length of each phase. */
  readonly phaseMs?: number
  /** Seeds the hostile payloads. */
  readonly seed?: number
}

const phaseMsDefault = 20_000
const warmUpMs = 5_000
const validatorCount = 4
const hostileIndex = 3
const targetIndex = 0
/** The chain's own progress is read from a validator that is not flooded. */
const observerIndex = 1
const loadIntervalMs = 50
const probeIntervalMs = 100
const probeTimeoutMs = 5_000
const rssSampleIntervalMs = 500
/** Distinct frames in each flood pool; the flood cycles through them. */
const poolFrameCount = 2_000
const floodWorkerRole = 'quorate-hostile-flood'
const workerStopTimeoutMs = 30_000

const write = (line: string) => process.stdout.write(`${line}\n`)
interface Status {
  readonly height: number
  readonly node_id: string
}

const status = (rpc: string, timeoutMs = 2_000) => rpcCall<Status>(rpc, 'status', {}, { timeoutMs })

// The hostile peer's thread.

interface FloodWorkerData {
  readonly role: typeof floodWorkerRole
  readonly nodeSecretKeyHex: string
  readonly targets: readonly HostileTarget[]
  /** Index into `targets` of the validator to flood. */
  readonly floodTarget: number
  readonly seed: number
}

interface FloodWorkerResult {
  readonly consensus: FloodResult
  readonly tx: FloodResult
  readonly framingStreams: number
  readonly floodMs: number
}

type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'flooded'; readonly result: FloodWorkerResult }
  | { readonly type: 'failed'; readonly message: string }
type ToWorker = { readonly type: 'flood' } | { readonly type: 'stop' }

async function runFloodWorker(data: FloodWorkerData): Promise<void> {
  const port = parentPort
  if (port === null) throw new Error('the flood worker needs a parent port')
  const post = (message: FromWorker) => port.postMessage(message)
  const peer = await HostilePeer.create({
    nodeSecretKey: fromHex(data.nodeSecretKeyHex, 32),
    permittedPeerIds: data.targets.map((target) => target.peerId),
  })
  try {
    for (const target of data.targets) await peer.connect(target)
    const prng = new Prng(data.seed)
    const consensus = hostileProtocol('consensus')
    const tx = hostileProtocol('tx')
    const consensusFrames = [
      ...undecodableBodies(consensus, prng, poolFrameCount / 2),
      ...badSignatureConsensusMessages({ seed: data.seed, count: poolFrameCount / 2, validatorCount }).map(
        (message) => encodeConsensusMessage(message),
      ),
    ].map((body) => encodeFrame(body))
    const txFrames = undecodableBodies(tx, prng, poolFrameCount).map((body) => encodeFrame(body))
    const framing = hostileProtocols.flatMap((protocol) => framingAttacks(protocol, prng))
    const target = data.targets[data.floodTarget]!

    const stopFlood = new AbortController()
    let stoppedAtMs = Number.NaN
    const started = new Promise<void>((resolve) => {
      port.on('message', (message: ToWorker) => {
        if (message.type === 'flood') resolve()
        else {
          stoppedAtMs = performance.now()
          stopFlood.abort()
        }
      })
    })
    post({ type: 'ready' })
    await started
    const floodStartedMs = performance.now()
    const [consensusResult, txResult, framingStreams] = await Promise.all([
      peer.flood(target, consensus.id, consensusFrames, stopFlood.signal),
      peer.flood(target, tx.id, txFrames, stopFlood.signal),
      peer.cycleStreams(target, framing, stopFlood.signal),
    ])
    post({
      type: 'flooded',
      result: {
        consensus: consensusResult,
        tx: txResult,
        framingStreams,
        floodMs: stoppedAtMs - floodStartedMs,
      },
    })
  } finally {
    await peer.close()
  }
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === floodWorkerRole) {
  try {
    await runFloodWorker(workerData as FloodWorkerData)
  } catch (error) {
    parentPort?.postMessage({ type: 'failed', message: String(error) } satisfies FromWorker)
  } finally {
    parentPort?.close()
  }
}

/** The next message of `type` from the worker; rejects if it fails or exits first. */
function fromWorker<T extends FromWorker['type']>(
  worker: Worker,
  type: T,
  timeoutMs: number,
): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`the flood worker sent no '${type}' in ${timeoutMs} ms`)),
      timeoutMs,
    )
    const finish = (error: Error | undefined, message?: Extract<FromWorker, { type: T }>) => {
      clearTimeout(timer)
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      if (error === undefined) resolve(message!)
      else reject(error)
    }
    const onMessage = (message: FromWorker) => {
      if (message.type === 'failed') finish(new Error(`the flood worker failed: ${message.message}`))
      else if (message.type === type) finish(undefined, message as Extract<FromWorker, { type: T }>)
    }
    const onError = (error: Error) => finish(error)
    const onExit = (code: number) =>
      finish(new Error(`the flood worker exited (code ${code}) before '${type}'`))
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
  })
}

// Measurements, on the main thread (which does not flood).

type Metrics = ReadonlyMap<string, number>

/** `name{labels} value` lines of the Prometheus text format, by their `name{labels}` key. */
async function scrape(url: string): Promise<Metrics> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(probeTimeoutMs) })).text()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue
    const space = line.lastIndexOf(' ')
    samples.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return samples
}

/** Sum of the samples of `name` whose label text contains every one of `labels` (`key="value"`). */
function sampleSum(metrics: Metrics, name: string, ...labels: string[]): number {
  let sum = 0
  for (const [key, value] of metrics) {
    const keyName = key.split('{')[0]
    if (keyName === name && labels.every((label) => key.includes(label))) sum += value
  }
  return sum
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!
}

async function residentMiB(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kibibytes = /VmRSS:\s+(\d+) kB/.exec(text)?.[1]
  return kibibytes === undefined ? Number.NaN : Number(kibibytes) / 1024
}

interface PhaseFigures {
  readonly seconds: number
  readonly chainBlocksPerSecond: number
  readonly targetBlocksPerSecond: number
  readonly txPerSecond: number
  /** Undefined when the target's /metrics has no event-loop metric. */
  readonly eventLoopDelayP99Ms: number | undefined
  readonly eventLoopDelayMaxMs: number | undefined
  readonly statusRoundTripP50Ms: number
  readonly statusRoundTripP99Ms: number
  readonly statusFailures: number
  readonly residentMiBMax: number
  /** Deltas of the target's counters over the phase. */
  readonly counted: ReadonlyMap<string, number>
}

/** prom-client's default metrics, over the interval since the previous scrape (each scrape resets them). */
const eventLoopMetrics = {
  p99: 'nodejs_eventloop_lag_p99_seconds',
  max: 'nodejs_eventloop_lag_max_seconds',
} as const
const eventLoopMetric = eventLoopMetrics.p99
const countedSeries: readonly (readonly [label: string, name: string, ...labels: string[]])[] = [
  ['consensus frames rejected', 'quorate_rejected_messages_total', 'protocol="consensus"'],
  ['  of which overloaded', 'quorate_rejected_messages_total', 'protocol="consensus"', 'reason="overloaded"'],
  ['tx frames rejected (admission)', 'quorate_tx_admissions_total', 'result="rejected-'],
  ['frame-too-large events', 'quorate_peer_events_total', 'kind="frame-too-large"'],
  ['stream-error events', 'quorate_peer_events_total', 'kind="stream-error"'],
  ['flood-dropped reports', 'quorate_peer_events_total', 'kind="flood-dropped"'],
  ['penalized events', 'quorate_peer_events_total', 'kind="penalized"'],
  ['banned events', 'quorate_peer_events_total', 'kind="banned"'],
]

async function measurePhase(options: {
  readonly phaseMs: number
  readonly targetRpc: string
  readonly targetMetrics: string
  readonly targetPid: number
  readonly observerRpc: string
  readonly observerMetrics: string
}): Promise<PhaseFigures> {
  const { targetRpc, targetMetrics, observerRpc, observerMetrics } = options
  // This scrape also resets the target's event-loop histogram, so the closing scrape covers this phase only.
  const [targetBefore, observerBefore, targetStart, observerStart] = await Promise.all([
    scrape(targetMetrics),
    scrape(observerMetrics),
    status(targetRpc, probeTimeoutMs),
    status(observerRpc),
  ])
  const startedMs = performance.now()
  const endMs = startedMs + options.phaseMs
  const roundTripsMs: number[] = []
  let statusFailures = 0
  let residentMiBMax = 0
  const probing = (async () => {
    while (performance.now() < endMs) {
      const sentMs = performance.now()
      try {
        await status(targetRpc, probeTimeoutMs)
        roundTripsMs.push(performance.now() - sentMs)
      } catch {
        statusFailures++
      }
      await sleep(Math.max(0, probeIntervalMs - (performance.now() - sentMs)))
    }
  })()
  const sampling = (async () => {
    while (performance.now() < endMs) {
      residentMiBMax = Math.max(residentMiBMax, await residentMiB(options.targetPid))
      await sleep(rssSampleIntervalMs)
    }
  })()
  await Promise.all([probing, sampling])
  const [targetAfter, observerAfter, targetEnd, observerEnd] = await Promise.all([
    scrape(targetMetrics),
    scrape(observerMetrics),
    status(targetRpc, probeTimeoutMs),
    status(observerRpc),
  ])
  const seconds = (performance.now() - startedMs) / 1000
  const eventLoop = (which: keyof typeof eventLoopMetrics) =>
    targetAfter.has(eventLoopMetrics[which])
      ? sampleSum(targetAfter, eventLoopMetrics[which]) * 1000
      : undefined
  const sorted = [...roundTripsMs].sort((a, b) => a - b)
  const committedTxs = (metrics: Metrics) => sampleSum(metrics, 'quorate_committed_txs_total')
  return {
    seconds,
    chainBlocksPerSecond: (observerEnd.height - observerStart.height) / seconds,
    targetBlocksPerSecond: (targetEnd.height - targetStart.height) / seconds,
    txPerSecond: (committedTxs(observerAfter) - committedTxs(observerBefore)) / seconds,
    eventLoopDelayP99Ms: eventLoop('p99'),
    eventLoopDelayMaxMs: eventLoop('max'),
    statusRoundTripP50Ms: percentile(sorted, 0.5),
    statusRoundTripP99Ms: percentile(sorted, 0.99),
    statusFailures,
    residentMiBMax,
    counted: new Map(
      countedSeries.map(([label, name, ...labels]) => [
        label,
        sampleSum(targetAfter, name, ...labels) - sampleSum(targetBefore, name, ...labels),
      ]),
    ),
  }
}

function formatNumber(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits)
}

function printTable(a: PhaseFigures, b: PhaseFigures, flood: FloodWorkerResult): void {
  const rows: [string, number | undefined, number | undefined, number][] = [
    ['blocks/s (chain, at validator 1)', a.chainBlocksPerSecond, b.chainBlocksPerSecond, 2],
    ['blocks/s (at flooded validator 0)', a.targetBlocksPerSecond, b.targetBlocksPerSecond, 2],
    ['tx/s committed (light load)', a.txPerSecond, b.txPerSecond, 1],
    ['event-loop delay p99, ms (v0 /metrics)', a.eventLoopDelayP99Ms, b.eventLoopDelayP99Ms, 1],
    ['event-loop delay max, ms (v0 /metrics)', a.eventLoopDelayMaxMs, b.eventLoopDelayMaxMs, 1],
    ['status RPC round trip p50, ms (v0)', a.statusRoundTripP50Ms, b.statusRoundTripP50Ms, 1],
    ['status RPC round trip p99, ms (v0)', a.statusRoundTripP99Ms, b.statusRoundTripP99Ms, 1],
    ['status RPC failures (v0)', a.statusFailures, b.statusFailures, 0],
    ['resident memory max, MiB (v0)', a.residentMiBMax, b.residentMiBMax, 0],
  ]
  const labelWidth = 42
  const cell = (text: string) => text.padStart(12)
  write(`${''.padEnd(labelWidth)}${cell('A: no flood')}${cell('B: flood')}${cell('B/A')}`)
  for (const [label, valueA, valueB, digits] of rows) {
    const ratio = valueA === undefined || valueB === undefined || valueA === 0 ? undefined : valueB / valueA
    write(
      `${label.padEnd(labelWidth)}${cell(formatNumber(valueA, digits))}${cell(formatNumber(valueB, digits))}${cell(formatNumber(ratio, 2))}`,
    )
  }
  for (const [label] of countedSeries) {
    write(
      `${`v0 counted: ${label}`.padEnd(labelWidth)}${cell(String(a.counted.get(label) ?? 0))}${cell(String(b.counted.get(label) ?? 0))}`,
    )
  }
  const floodSeconds = flood.floodMs / 1000
  const rate = (result: FloodResult) =>
    `${result.framesWritten} frames (${(result.framesWritten / floodSeconds).toFixed(0)}/s, ` +
    `${(result.bytesWritten / floodSeconds / 1e6).toFixed(1)} MB/s), ${result.streamsOpened} stream(s), ` +
    `${result.openFailures} failed opens`
  write(`flood written in ${floodSeconds.toFixed(1)} s: consensus ${rate(flood.consensus)}`)
  write(`                          tx ${rate(flood.tx)}`)
  write(`                          framing-attack streams: ${flood.framingStreams}`)
  if (b.eventLoopDelayP99Ms === undefined) {
    write(`validator 0's /metrics has no ${eventLoopMetric}: the event-loop rows are not measured`)
  }
}

export async function benchFlood(options: BenchFloodOptions): Promise<void> {
  const phaseMs = options.phaseMs ?? phaseMsDefault
  const seed = options.seed ?? 1
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-flood-'))
  const testnet = await startTestnet({
    dir,
    validators: validatorCount,
    accounts: 4,
    basePort: options.basePort,
  })
  let worker: Worker | undefined
  let load: TransferLoad | undefined
  try {
    const { info, layout, processes } = testnet
    await processes.stopOne(hostileIndex)
    const honest = info.validators.filter((validator) => validator.index !== hostileIndex)
    const targets = await Promise.all(
      honest.map(async (validator) => ({
        address: validator.p2p,
        peerId: (await status(validator.rpc)).node_id,
      })),
    )
    const nodeKey = await readKeyFile(homePaths(layout.validators[hostileIndex]!.home).nodeKey)
    worker = new Worker(new URL(import.meta.url), {
      workerData: {
        role: floodWorkerRole,
        nodeSecretKeyHex: toHex(nodeKey.secretKey),
        targets,
        floodTarget: honest.findIndex((validator) => validator.index === targetIndex),
        seed,
      } satisfies FloodWorkerData,
    })
    await fromWorker(worker, 'ready', 60_000)

    load = await TransferLoad.create(info)
    let next = 0
    const loadRpcs = honest.filter((v) => v.index !== targetIndex).map((v) => v.rpc)
    load.start(() => loadRpcs[next++ % loadRpcs.length], loadIntervalMs)
    write(
      `flood bench: ${validatorCount} validators, validator ${hostileIndex} replaced by a hostile peer with its ` +
        `node key; target validator ${targetIndex}; load: one transfer per ${loadIntervalMs} ms through ` +
        `validators 1 and 2; phases of ${phaseMs / 1000} s`,
    )
    await sleep(warmUpMs)

    const target = info.validators[targetIndex]!
    const observer = info.validators[observerIndex]!
    const phase = {
      phaseMs,
      targetRpc: target.rpc,
      targetMetrics: target.metrics,
      targetPid: target.pid,
      observerRpc: observer.rpc,
      observerMetrics: observer.metrics,
    }
    write('phase A: no flood ...')
    const phaseA = await measurePhase(phase)
    write('phase B: flood ...')
    worker.postMessage({ type: 'flood' } satisfies ToWorker)
    const phaseB = await measurePhase(phase)
    const flooded = fromWorker(worker, 'flooded', workerStopTimeoutMs)
    worker.postMessage({ type: 'stop' } satisfies ToWorker)
    const { result } = await flooded
    printTable(phaseA, phaseB, result)
    const running = processes.processes.filter((p) => p.index !== hostileIndex && p.running).length
    write(`honest validators still running: ${running}/${honest.length}`)
  } finally {
    await load?.stop()
    await worker?.terminate()
    await testnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
