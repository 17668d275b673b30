// Every validator's resident set size at a fixed interval, kept as a series, so a long run can be judged by its
// trend and not only by its peak. From /proc/PID/status: VmRSS (the figure judged), split into RssAnon (the
// JavaScript heap, native allocations: what a leak grows) and RssFile (pages of mapped files that are resident:
// the node binary, and LevelDB's table files, which it maps on 64-bit Linux; the kernel can drop them).

import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { ProcReadError, statusKilobytes } from '../load/proc.js'

export interface RssSample {
  /** performance.now() of the read. */
  readonly atMs: number
  /** VmRSS, one value per pid in the order given, in bytes. */
  readonly rssBytes: readonly number[]
  readonly anonBytes: readonly number[]
  readonly fileBytes: readonly number[]
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
    const statuses = this.pids.map(readStatus)
    const field = (name: string) => statuses.map((status) => statusKilobytes(status, name) * 1024)
    const sample = {
      atMs: performance.now(),
      rssBytes: field('VmRSS'),
      anonBytes: field('RssAnon'),
      fileBytes: field('RssFile'),
    }
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

function readStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch (error) {
    throw new ProcReadError(`cannot read /proc/${pid}/status (has the process exited?): ${String(error)}`)
  }
}
