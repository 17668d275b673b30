import { pino } from 'pino'
import type { LogLevel } from './config.js'

export type Logger = pino.Logger

/** Structured JSON logs on stdout (the testnet runner sends them to each validator's node.log). */
export function createLogger(level: LogLevel, name: string): Logger {
  return pino({ level, name, base: { pid: process.pid } })
}
