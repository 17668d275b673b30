// The machine a run was measured on, written into its report: figures from different machines, or from one
// machine under different load, do not compare.

import os from 'node:os'
import { clockTicksPerSecond } from './proc.js'

export interface MachineDescription {
  readonly cpu_model: string
  readonly cores: number
  readonly memory_bytes: number
  readonly os: string
  readonly node: string
  readonly clk_tck: number
  /** Before the run starts: anything above 0 means something else was already using the machine. */
  readonly load_average_1m: number
}

export function describeMachine(): MachineDescription {
  return {
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memory_bytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    clk_tck: clockTicksPerSecond,
    load_average_1m: Math.round(os.loadavg()[0]! * 100) / 100,
  }
}
