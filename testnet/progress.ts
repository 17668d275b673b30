// The testnet's live view: once a second, every validator's `status`, summarised in one line:
//   h=123 view=130 leader=2 tx/s=45.0 up=4/4
// h is the highest committed height, view the highest current view, leader the leader of that view as the
// validators in it expect it (leader election: round robin, passing over validators with no recent block), tx/s
// the committed transactions per second over the last few seconds, up the validators answering.

import { setTimeout as sleep } from 'node:timers/promises'
import { rpcCall } from '../node/rpc/client.js'

export const progressIntervalMs = 1_000
export const txRateWindowMs = 5_000
/** Blocks fetched per tick to count transactions when `status` has no running total. */
export const blockFetchCountMax = 50

export interface StatusSample {
  readonly height: number
  readonly view: number
  /** The leader the node expects for its view, when it reports it (`leader`). */
  readonly leader?: number
  /** Transactions committed so far, when the node reports it (`total_txs`). */
  readonly totalTxs?: number
  readonly peers?: number
  readonly mempoolTxs?: number
  readonly catchingUp?: boolean
}

export interface ProgressSnapshot {
  readonly height: number | undefined
  readonly view: number | undefined
  readonly leader: number | undefined
  readonly validatorCount: number
  readonly upCount: number
  readonly txPerSecond: number
}

export function formatProgressLine(snapshot: ProgressSnapshot): string {
  const { height, view, leader, validatorCount, upCount, txPerSecond } = snapshot
  return (
    `h=${height ?? '?'} view=${view ?? '?'} leader=${leader ?? '?'} tx/s=${txPerSecond.toFixed(1)} ` +
    `up=${upCount}/${validatorCount}`
  )
}

export function parseStatusSample(value: unknown): StatusSample | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const fields = value as Record<string, unknown>
  const { height, view, leader, peers } = fields
  if (!isCount(height) || !isCount(view)) return undefined
  const totalTxs = fields.total_txs
  const mempoolTxs = fields.mempool_txs
  const catchingUp = fields.catching_up
  return {
    height,
    view,
    ...(isCount(leader) ? { leader } : {}),
    ...(isCount(totalTxs) ? { totalTxs } : {}),
    ...(isCount(peers) ? { peers } : {}),
    ...(isCount(mempoolTxs) ? { mempoolTxs } : {}),
    ...(typeof catchingUp === 'boolean' ? { catchingUp } : {}),
  }
}

/** Committed transactions per second over a sliding window of (time, running total) samples. */
export class TxRateWindow {
  private readonly samples: { timeMs: number; totalTxs: number }[] = []
  private readonly windowMs: number

  constructor(windowMs: number = txRateWindowMs) {
    this.windowMs = windowMs
  }

  add(timeMs: number, totalTxs: number): void {
    this.samples.push({ timeMs, totalTxs })
    // Keep one sample at or before the window's start, so the rate spans the whole window.
    while (this.samples.length > 2 && this.samples[1]!.timeMs <= timeMs - this.windowMs) this.samples.shift()
  }

  perSecond(): number {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    if (first === undefined || last === undefined || last.timeMs <= first.timeMs) return 0
    return (Math.max(0, last.totalTxs - first.totalTxs) * 1_000) / (last.timeMs - first.timeMs)
  }
}

/** One round of `status` calls: a sample per validator (undefined: it did not answer). */
export interface ProgressTick {
  readonly timeMs: number
  readonly samples: readonly (StatusSample | undefined)[]
  /** Committed transactions counted so far (see TxCounter), when some validator answered. */
  readonly totalTxs: number | undefined
}

export interface WatchProgressOptions {
  readonly rpcUrls: readonly string[]
  readonly signal: AbortSignal
  readonly print: (line: string) => void
  readonly intervalMs?: number
  readonly now?: () => number
  /** Sees every round's samples (the fault lab's live state and timeline). */
  readonly onTick?: (tick: ProgressTick) => void
  /** Appended to the line when not empty (the faults injected now). */
  readonly annotate?: () => string
}

/** Prints one progress line per interval until `signal` aborts. Never throws for an unreachable node. */
export async function watchProgress(options: WatchProgressOptions): Promise<void> {
  const { rpcUrls, signal, print } = options
  const intervalMs = options.intervalMs ?? progressIntervalMs
  const now = options.now ?? Date.now
  const window = new TxRateWindow()
  const counter = new TxCounter()
  while (!signal.aborted) {
    const started = now()
    const timeoutMs = Math.max(100, intervalMs - 100)
    const samples = await Promise.all(
      rpcUrls.map((url) =>
        rpcCall(url, 'status', {}, { signal, timeoutMs }).then(parseStatusSample, () => undefined),
      ),
    )
    if (signal.aborted) return
    let best: { url: string; sample: StatusSample } | undefined
    let inHighestView: StatusSample | undefined
    let upCount = 0
    samples.forEach((sample, index) => {
      if (sample === undefined) return
      upCount++
      if (inHighestView === undefined || sample.view > inHighestView.view) inHighestView = sample
      if (best === undefined || sample.height > best.sample.height) best = { url: rpcUrls[index]!, sample }
    })
    let totalTxs: number | undefined
    if (best !== undefined) {
      totalTxs = await counter.update(best.url, best.sample, samples, { signal, timeoutMs })
      window.add(now(), totalTxs)
    }
    if (signal.aborted) return
    options.onTick?.({ timeMs: now(), samples, totalTxs })
    const line = formatProgressLine({
      height: best?.sample.height,
      view: inHighestView?.view,
      leader: inHighestView?.leader,
      validatorCount: rpcUrls.length,
      upCount,
      txPerSecond: window.perSecond(),
    })
    const annotation = options.annotate?.() ?? ''
    print(annotation === '' ? line : `${line}  ${annotation}`)
    const elapsedMs = now() - started
    await sleep(Math.max(0, intervalMs - elapsedMs), undefined, { signal }).catch(() => undefined)
  }
}

/** A running count of committed transactions: from `total_txs` when reported, else by reading new blocks. */
class TxCounter {
  private countedHeight: number | undefined
  private totalTxs = 0

  async update(
    url: string,
    best: StatusSample,
    samples: readonly (StatusSample | undefined)[],
    options: { signal: AbortSignal; timeoutMs: number },
  ): Promise<number> {
    const reported = samples.reduce<number | undefined>(
      (total, sample) => (sample?.totalTxs === undefined ? total : Math.max(total ?? 0, sample.totalTxs)),
      undefined,
    )
    if (reported !== undefined) return reported
    if (this.countedHeight === undefined || best.height < this.countedHeight) {
      // Count from now on: the rate is about what happens while we watch.
      this.countedHeight = best.height
      return this.totalTxs
    }
    const from = this.countedHeight + 1
    const to = Math.min(best.height, this.countedHeight + blockFetchCountMax)
    const heights = Array.from({ length: Math.max(0, to - from + 1) }, (_, offset) => from + offset)
    const counts = await Promise.all(
      heights.map((height) => rpcCall(url, 'block', { height }, options).then(txCountOf, () => undefined)),
    )
    for (const count of counts) {
      // Stop at the first block we could not read, and read it again next tick.
      if (count === undefined) break
      this.totalTxs += count
      this.countedHeight++
    }
    return this.totalTxs
  }
}

function txCountOf(block: unknown): number | undefined {
  if (typeof block !== 'object' || block === null) return undefined
  const txs = (block as Record<string, unknown>).txs
  return Array.isArray(txs) ? txs.length : undefined
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
