// The survivors' own record of when their view timers fired: every validator logs each message it signs
// (node/driver.ts, `"signed"` lines: kind, view) with pino's `time`, the wall clock in milliseconds. The
// first timeout signed for the missed view is the moment the first survivor gave up on the dead leader, which
// splits a trial's recovery into the wait for the timeout and what the protocol needed after it.

import { open } from 'node:fs/promises'

export interface SignedEntry {
  /** Wall clock, milliseconds since the epoch (Date.now() of the validator). */
  readonly timeMs: number
  readonly kind: string
  readonly view: number
}

/** Bytes of log read per trial at most: a trial of a minute under load writes far less. */
const logReadBytesMax = 64 * 1_048_576

/** The log's size now: read from there after the kill. */
export async function logSize(logFile: string): Promise<number> {
  const handle = await open(logFile, 'r')
  try {
    return (await handle.stat()).size
  } finally {
    await handle.close()
  }
}

/** The `"signed"` lines written to `logFile` from byte `offset` on; lines that do not parse are skipped. */
export async function readSignedSince(logFile: string, offset: number): Promise<SignedEntry[]> {
  const handle = await open(logFile, 'r')
  let text: string
  try {
    const size = (await handle.stat()).size
    const length = Math.min(Math.max(0, size - offset), logReadBytesMax)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, offset)
    text = buffer.toString('utf8')
  } finally {
    await handle.close()
  }
  return parseSignedLines(text)
}

export function parseSignedLines(text: string): SignedEntry[] {
  const entries: SignedEntry[] = []
  for (const line of text.split('\n')) {
    if (!line.includes('"signed"')) continue
    let entry: unknown
    try {
      entry = JSON.parse(line)
    } catch {
      continue
    }
    const { time, signed } = entry as { time?: unknown; signed?: { kind?: unknown; view?: unknown } }
    if (typeof time !== 'number' || typeof signed?.kind !== 'string' || typeof signed.view !== 'number')
      continue
    entries.push({ timeMs: time, kind: signed.kind, view: signed.view })
  }
  return entries
}

/** The earliest time any of the entries signed a timeout for `view`; null when none did. */
export function firstTimeoutMs(entries: readonly SignedEntry[], view: number): number | null {
  let earliest: number | null = null
  for (const entry of entries) {
    if (entry.kind !== 'timeout' || entry.view !== view) continue
    if (earliest === null || entry.timeMs < earliest) earliest = entry.timeMs
  }
  return earliest
}
