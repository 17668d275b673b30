// What Linux's /proc says about a process, read from outside it, so a validator needs no extra metrics for
// the benchmark: CPU time (/proc/PID/stat utime + stime), resident memory (/proc/PID/status VmRSS), bytes
// sent to the storage layer (/proc/PID/io write_bytes), and the whole machine's busy time (/proc/stat).

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** A process that has exited, or a /proc file that does not read as documented in proc(5). */
export class ProcReadError extends Error {
  static override name = 'ProcReadError'
  override name = 'ProcReadError'
}

/** USER_HZ, the unit of utime and stime; 100 on every common Linux, asked of getconf to be sure. */
export const clockTicksPerSecond: number = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return Number.isSafeInteger(ticks) && ticks > 0 ? ticks : 100
  } catch {
    return 100
  }
})()

function readProcFile(pid: number, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8')
  } catch (error) {
    throw new ProcReadError(`cannot read /proc/${pid}/${name} (has the process exited?): ${String(error)}`)
  }
}

/** utime + stime of `pid`, in seconds. */
export function cpuSeconds(pid: number): number {
  return parseCpuTicks(readProcFile(pid, 'stat')) / clockTicksPerSecond
}

/** utime (field 14) + stime (field 15) of a /proc/PID/stat line; the command name (field 2) may hold spaces. */
export function parseCpuTicks(statLine: string): number {
  const afterName = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ')
  // afterName[0] is field 3 (state), so field k is afterName[k - 3].
  const utime = Number(afterName[11])
  const stime = Number(afterName[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new ProcReadError(`unexpected /proc/PID/stat line: ${statLine.slice(0, 200)}`)
  }
  return utime + stime
}

/** The resident set size of `pid`, in bytes. */
export function rssBytes(pid: number): number {
  return statusKilobytes(readProcFile(pid, 'status'), 'VmRSS') * 1024
}

export function statusKilobytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
  if (match === null) throw new ProcReadError(`/proc/PID/status has no ${field} line`)
  return Number(match[1])
}

/** Bytes `pid` has caused to be sent to the storage layer (proc(5) write_bytes), page cache flushes included. */
export function writeBytes(pid: number): number {
  const match = /^write_bytes:\s+(\d+)$/m.exec(readProcFile(pid, 'io'))
  if (match === null) throw new ProcReadError(`/proc/${pid}/io has no write_bytes line`)
  return Number(match[1])
}

export interface MachineCpuTimes {
  readonly busyTicks: number
  readonly totalTicks: number
}

/** All cores together, from the first line of /proc/stat (idle and iowait count as not busy). */
export function machineCpuTimes(): MachineCpuTimes {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = ticks.reduce((sum, value) => sum + value, 0)
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0)
  return { busyTicks: total - idle, totalTicks: total }
}

export function busyPercent(before: MachineCpuTimes, after: MachineCpuTimes): number {
  const total = after.totalTicks - before.totalTicks
  return total > 0 ? (100 * (after.busyTicks - before.busyTicks)) / total : 0
}

/** Samples the RSS of each pid every `intervalMs` and keeps the highest seen. */
export class PeakRssSampler {
  readonly #peaksBytes: number[]
  readonly #timer: NodeJS.Timeout
  #failure: unknown

  constructor(
    private readonly pids: readonly number[],
    intervalMs: number,
  ) {
    this.#peaksBytes = pids.map(() => 0)
    this.sample()
    this.#timer = setInterval(() => {
      try {
        this.sample()
      } catch (error) {
        // Reported by stop(): a timer callback that throws would take the whole bench down mid-level.
        this.#failure ??= error
      }
    }, intervalMs)
  }

  sample(): void {
    this.pids.forEach((pid, index) => {
      this.#peaksBytes[index] = Math.max(this.#peaksBytes[index]!, rssBytes(pid))
    })
  }

  /** Stops sampling, for a level that failed. */
  cancel(): void {
    clearInterval(this.#timer)
  }

  /** Takes a last sample, stops, and returns the peak of each pid in bytes. */
  stop(): number[] {
    clearInterval(this.#timer)
    if (this.#failure !== undefined) throw this.#failure
    this.sample()
    return [...this.#peaksBytes]
  }
}

/** Size of every regular file under `dir`, in bytes. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await directoryBytes(path)
    else if (entry.isFile()) total += (await stat(path).catch(() => ({ size: 0 }))).size
  }
  return total
}
