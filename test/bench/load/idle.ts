// The cost of a testnet that is given nothing to do: per validator, the CPU it spends (percent of one core)
// and what it writes (bytes sent to storage per /proc/PID/io, and its home directory's growth) per minute, and
// how many blocks the chain commits meanwhile.

import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { rpcCall } from '../../../node/rpc/client.js'
import { cpuSeconds, directoryBytes, writeBytes } from './proc.js'
import type { ProgressLine } from './progress.js'
import { type IdleReport, significant } from './report.js'
import { scrapeViewChanges } from './view-changes.js'

export interface IdleValidator {
  readonly pid: number
  readonly home: string
  readonly rpcUrl: string
  readonly metricsUrl: string
}

const progressIntervalMs = 1_000

async function height(rpcUrl: string): Promise<number> {
  const status = await rpcCall<{ height: number }>(rpcUrl, 'status', {}, { timeoutMs: 5_000 })
  return status.height
}

async function totals(validators: readonly IdleValidator[]) {
  return {
    atMs: performance.now(),
    cpuSeconds: validators.map((validator) => cpuSeconds(validator.pid)),
    writeBytes: validators.map((validator) => writeBytes(validator.pid)),
    dirBytes: await Promise.all(validators.map((validator) => directoryBytes(validator.home))),
    height: await height(validators[0]!.rpcUrl),
    viewChanges: (await scrapeViewChanges(validators[0]!.metricsUrl)).total,
  }
}

export async function measureIdle(
  validators: readonly IdleValidator[],
  durationMs: number,
  progress: ProgressLine,
): Promise<IdleReport> {
  const before = await totals(validators)
  const endMs = before.atMs + durationMs
  for (let now = performance.now(); now < endMs; now = performance.now()) {
    progress.show(`idle ${(durationMs / 1000).toFixed(0)} s`, (now - before.atMs) / durationMs, 'no load')
    await sleep(Math.min(progressIntervalMs, endMs - now))
  }
  progress.done()
  const after = await totals(validators)
  const seconds = (after.atMs - before.atMs) / 1000
  const perMinute = (delta: number): number => significant((delta * 60) / seconds)
  return {
    duration_s: significant(seconds),
    blocks_committed: after.height - before.height,
    blocks_per_minute: perMinute(after.height - before.height),
    view_changes: after.viewChanges - before.viewChanges,
    cpu_pct_of_core: after.cpuSeconds.map(
      (cpu, index) => (100 * (cpu - before.cpuSeconds[index]!)) / seconds,
    ),
    write_bytes_per_minute: after.writeBytes.map((bytes, index) =>
      perMinute(bytes - before.writeBytes[index]!),
    ),
    dir_growth_bytes_per_minute: after.dirBytes.map((bytes, index) =>
      perMinute(bytes - before.dirBytes[index]!),
    ),
  }
}
