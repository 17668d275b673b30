// Scaling (issue 9): frames and bytes the validators hand to the network per committed block, for growing n, on
// a calm simulated network with a steady closed-loop workload. Votes are broadcast to every validator
// (docs/protocol.md), so a view costs about n² frames in all and about n per validator: the per-validator
// figure is the one that should be linear in n, and the total is n times it. `npm run sim -- --scaling`.
import { performance } from 'node:perf_hooks'
import { type ProtocolName, protocolNames } from '../../node/env/network.js'
import { checkSafety } from './checkers.js'
import { Cluster, type Violation } from './cluster.js'

/** What the scaling runs measure by default: the validator counts of issue 9. */
export const scalingValidatorCountsDefault: readonly number[] = [4, 7, 10, 16, 31, 64]
/** Simulated time before the measured window: boot, first views, clients' first transfers. */
export const scalingWarmupMsDefault = 3_000
/** Simulated length of the measured window. */
export const scalingWindowMsDefault = 10_000
/** Closed-loop clients, each sending its next transfer once its entry node committed the last one. */
export const scalingClientsDefault = 8
/** A closed-loop client's pause before a retry when its transfer was refused, in simulated ms (mean). */
export const scalingClientIntervalMsDefault = 50

export interface ScalingRunOptions {
  readonly seed: number
  readonly validators: number
  readonly windowMs?: number
  readonly warmupMs?: number
  readonly clients?: number
}

/** Frames and bytes per committed block, for the whole cluster and per validator. */
export interface TrafficPerBlock {
  readonly frames: number
  readonly bytes: number
  readonly framesPerValidator: number
  readonly bytesPerValidator: number
}

export interface ScalingRow {
  readonly validators: number
  readonly windowMs: number
  /** Blocks node 0 committed in the measured window. */
  readonly committedBlocks: number
  /** Transfers in those blocks. */
  readonly committedTxs: number
  /** Frames and bytes every node handed to the network in the window, per committed block. */
  readonly perBlock: TrafficPerBlock
  readonly perBlockByProtocol: Readonly<Record<ProtocolName, TrafficPerBlock>>
  readonly violations: readonly Violation[]
  readonly wallSeconds: number
}

/** One calm cluster of n honest validators: warm up, then count what crosses the network in the window. */
export async function runScaling(options: ScalingRunOptions): Promise<ScalingRow> {
  const startedMs = performance.now()
  const warmupMs = options.warmupMs ?? scalingWarmupMsDefault
  const windowMs = options.windowMs ?? scalingWindowMsDefault
  const cluster = new Cluster({
    validators: options.validators,
    seed: options.seed,
    clients: options.clients ?? scalingClientsDefault,
    clientIntervalMs: scalingClientIntervalMsDefault,
    clientLoop: 'closed',
  })
  cluster.start()
  await cluster.runUntil(warmupMs)
  const observed = cluster.nodes[0]!
  const heightBefore = observed.committedHeight
  const before = snapshot(cluster)
  await cluster.runUntil(warmupMs + windowMs)
  const after = snapshot(cluster)
  const blocks = observed.committed.slice(heightBefore)
  const committedBlocks = blocks.length
  const n = options.validators
  const perBlock = (frames: number, bytes: number): TrafficPerBlock => ({
    frames: frames / committedBlocks,
    bytes: bytes / committedBlocks,
    framesPerValidator: frames / committedBlocks / n,
    bytesPerValidator: bytes / committedBlocks / n,
  })
  const perBlockByProtocol = Object.fromEntries(
    protocolNames.map((name) => [
      name,
      perBlock(
        after.byProtocol[name].frames - before.byProtocol[name].frames,
        after.byProtocol[name].bytes - before.byProtocol[name].bytes,
      ),
    ]),
  ) as Record<ProtocolName, TrafficPerBlock>
  const violations = [...checkSafety(cluster)]
  if (committedBlocks === 0)
    violations.push({ kind: 'liveness', detail: `node 0 committed no block in the ${windowMs} ms window` })
  return {
    validators: n,
    windowMs,
    committedBlocks,
    committedTxs: blocks.reduce((sum, { block }) => sum + block.txs.length, 0),
    perBlock: perBlock(after.frames - before.frames, after.bytes - before.bytes),
    perBlockByProtocol,
    violations,
    wallSeconds: (performance.now() - startedMs) / 1_000,
  }
}

function snapshot(cluster: Cluster) {
  return {
    frames: cluster.framesSent,
    bytes: cluster.bytesSent,
    byProtocol: Object.fromEntries(
      protocolNames.map((name) => [name, { ...cluster.sentByProtocol[name] }]),
    ) as Record<ProtocolName, { frames: number; bytes: number }>,
  }
}

/** A least-squares line y = slope·x + intercept, and how much of y's variance it explains. */
export interface LinearFit {
  readonly slope: number
  readonly intercept: number
  readonly rSquared: number
}

export function linearFit(xs: readonly number[], ys: readonly number[]): LinearFit {
  if (xs.length !== ys.length || xs.length < 2) throw new RangeError('a fit needs two points or more')
  const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
  const xMean = mean(xs)
  const yMean = mean(ys)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - xMean
    const dy = ys[i]! - yMean
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0) throw new RangeError('a fit needs two different x values')
  const slope = sxy / sxx
  const residual = syy - slope * sxy
  return { slope, intercept: yMean - slope * xMean, rSquared: syy === 0 ? 1 : 1 - residual / syy }
}

/** Per-validator frames and bytes per committed block against n. */
export interface ScalingFits {
  readonly framesPerValidator: LinearFit
  readonly bytesPerValidator: LinearFit
}

export function scalingFits(rows: readonly ScalingRow[]): ScalingFits {
  const ns = rows.map((row) => row.validators)
  return {
    framesPerValidator: linearFit(
      ns,
      rows.map((row) => row.perBlock.framesPerValidator),
    ),
    bytesPerValidator: linearFit(
      ns,
      rows.map((row) => row.perBlock.bytesPerValidator),
    ),
  }
}

/** One run per validator count, in order, then the fits (null with fewer than two different counts). */
export async function scalingTable(options: {
  readonly seed: number
  readonly validatorCounts: readonly number[]
  readonly windowMs?: number
  readonly warmupMs?: number
  readonly onRow?: (row: ScalingRow) => void
}): Promise<{ rows: ScalingRow[]; fits: ScalingFits | null }> {
  const rows: ScalingRow[] = []
  for (const validators of options.validatorCounts) {
    const row = await runScaling({
      seed: options.seed,
      validators,
      ...(options.windowMs === undefined ? {} : { windowMs: options.windowMs }),
      ...(options.warmupMs === undefined ? {} : { warmupMs: options.warmupMs }),
    })
    rows.push(row)
    options.onRow?.(row)
  }
  const fittable = new Set(rows.map((row) => row.validators)).size >= 2
  return { rows, fits: fittable ? scalingFits(rows) : null }
}
