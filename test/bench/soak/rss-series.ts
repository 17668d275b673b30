// Every validator's resident set size (VmRSS from /proc/PID/status) at a fixed interval, kept as a series, so
// a long run can be judged by its trend and not only by its peak.

import { performance } from 'node:perf_hooks'
import { rssBytes } from '../load/proc.js'

export interface RssSample {
  /** performance.now() of the read. */
  readonly atMs: number
  /** One value per pid, in the order given. */
  readonly rssBytes: readonly number[]
}

/** A day of samples at one per second; a run that long is beyond what this series is for. */
export const rssSampleCountMax = 86_400

export class RssSeries {
  readonly #samples: RssSample[] = []
  readonly #timer: NodeJS.Timeout
  #failure: unknown

  constructor(
    private readonly pids: readonly number[],
    intervalMs: number,
  ) {
    this.sample()
    this.#timer = setInterval(() => {
      try {
        this.sample()
      } catch (error) {
        // Reported by stop(): a timer callback that throws would take the whole bench down.
        this.#failure ??= error
        clearInterval(this.#timer)
      }
    }, intervalMs)
  }

  /** Takes one sample now (also called at the measured window's edges, so they hold exact values). */
  sample(): RssSample {
    if (this.#samples.length >= rssSampleCountMax) {
      throw new RangeError(`more than ${rssSampleCountMax} RSS samples`)
    }
    const sample = { atMs: performance.now(), rssBytes: this.pids.map(rssBytes) }
    this.#samples.push(sample)
    return sample
  }

  /** Stops sampling and returns every sample in time order; throws what made a timed sample fail. */
  stop(): readonly RssSample[] {
    clearInterval(this.#timer)
    if (this.#failure !== undefined) throw this.#failure
    return this.#samples
  }

  /** Stops sampling after a failure elsewhere. */
  cancel(): void {
    clearInterval(this.#timer)
  }
}
