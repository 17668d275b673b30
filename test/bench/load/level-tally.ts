// What the clients of one level add up: commits answered inside the measured window (with their
// submit-to-commit latency) and failures answered after the warm-up, by kind.

import type { LatencySummary, LevelSummary } from './protocol.js'

/** Latencies kept per level; beyond it commits are still counted (a 15 s level stays far below it). */
export const latencySampleCountMax = 2_000_000

export class LevelTally {
  #committedCount = 0
  #failedCount = 0
  readonly #latenciesMs: number[] = []
  readonly #failures = new Map<string, number>()

  #windowEndMs: number

  /** `windowStartMs`/`windowEndMs` are performance.now() values of this process. */
  constructor(
    readonly clients: number,
    readonly windowStartMs: number,
    windowEndMs: number,
  ) {
    this.#windowEndMs = windowEndMs
  }

  get windowEndMs(): number {
    return this.#windowEndMs
  }

  /** A level stopped early: its window ends at `atMs` (never before it starts, never later than planned). */
  endWindowAt(atMs: number): void {
    this.#windowEndMs = Math.max(this.windowStartMs, Math.min(this.#windowEndMs, atMs))
  }

  committed(sentMs: number, answeredMs: number): void {
    if (answeredMs < this.windowStartMs || answeredMs > this.windowEndMs) return
    this.#committedCount++
    if (this.#latenciesMs.length < latencySampleCountMax) this.#latenciesMs.push(answeredMs - sentMs)
  }

  failed(kind: string, answeredMs: number): void {
    if (answeredMs < this.windowStartMs) return
    this.#failedCount++
    this.#failures.set(kind, (this.#failures.get(kind) ?? 0) + 1)
  }

  get committedCount(): number {
    return this.#committedCount
  }

  get failedCount(): number {
    return this.#failedCount
  }

  summary(): LevelSummary {
    return {
      clients: this.clients,
      window_ms: this.windowEndMs - this.windowStartMs,
      committed: this.#committedCount,
      latency: summarize(this.#latenciesMs),
      errors: Object.fromEntries([...this.#failures].sort(([a], [b]) => a.localeCompare(b))),
    }
  }
}

/** Nearest-rank quantiles, as etcd's reference load generator computes them, so the two compare. */
export function summarize(latenciesMs: readonly number[]): LatencySummary | null {
  if (latenciesMs.length === 0) return null
  const sorted = Float64Array.from(latenciesMs).sort()
  const rank = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
  const round = (ms: number): number => Math.round(ms * 1000) / 1000
  let sum = 0
  for (const ms of sorted) sum += ms
  return {
    p50_ms: round(rank(0.5)),
    p95_ms: round(rank(0.95)),
    p99_ms: round(rank(0.99)),
    mean_ms: round(sum / sorted.length),
    max_ms: round(sorted[sorted.length - 1]!),
  }
}
