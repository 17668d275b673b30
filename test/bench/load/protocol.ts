// What the bench and its load-generator process say to each other: commands on the generator's stdin, events
// on its stdout, one JSON object a line. The other side is a separate process, so every line read is
// `unknown` until one of the decoders below has checked it.

export interface LevelCommand {
  readonly type: 'level'
  readonly clients: number
  /** Load runs but is not counted; the chain and the connections settle. */
  readonly warmupMs: number
  /** The measured window. */
  readonly durationMs: number
  /**
   * Transactions per second offered by all clients together, warm-up included; absent: every client sends its
   * next transaction as soon as the last one is answered (closed loop at full speed).
   */
  readonly rate?: number
}

/** Ends the running level now, as if its window had been this long; ignored between levels. */
export interface StopCommand {
  readonly type: 'stop'
}

export type GeneratorCommand = LevelCommand | StopCommand | { readonly type: 'quit' }

export interface LatencySummary {
  readonly p50_ms: number
  readonly p95_ms: number
  readonly p99_ms: number
  readonly mean_ms: number
  readonly max_ms: number
}

export interface LevelSummary {
  readonly clients: number
  /** The measured window as the generator timed it. */
  readonly window_ms: number
  /** Transactions whose commit answer arrived inside the window. */
  readonly committed: number
  /** Submit-to-commit latencies of those transactions; null when none committed. */
  readonly latency: LatencySummary | null
  /** Failed requests answered after the warm-up (the in-flight ones at the window's end included), by kind. */
  readonly errors: Readonly<Record<string, number>>
}

export type GeneratorEvent =
  | { readonly type: 'ready'; readonly accounts: number }
  | { readonly type: 'window-start'; readonly clients: number }
  | {
      readonly type: 'progress'
      readonly clients: number
      readonly committed: number
      readonly errors: number
    }
  | { readonly type: 'window-end'; readonly clients: number }
  | { readonly type: 'level-done'; readonly summary: LevelSummary }
  | { readonly type: 'failed'; readonly message: string }

export class ProtocolError extends Error {
  static override name = 'ProtocolError'
  override name = 'ProtocolError'
}

type Fields = Record<string, unknown>

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what}: expected an object`)
  }
  return value as Fields
}

function number(fields: Fields, name: string, what: string): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProtocolError(`${what}.${name}: expected a finite number`)
  }
  return value
}

function count(fields: Fields, name: string, what: string): number {
  const value = number(fields, name, what)
  if (!Number.isSafeInteger(value) || value < 0) throw new ProtocolError(`${what}.${name}: expected a count`)
  return value
}

function parseLine(line: string, what: string): Fields {
  try {
    return object(JSON.parse(line), what)
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError(`${what}: not JSON: ${line.slice(0, 200)}`)
  }
}

export function decodeCommand(line: string): GeneratorCommand {
  const fields = parseLine(line, 'command')
  if (fields.type === 'quit') return { type: 'quit' }
  if (fields.type === 'stop') return { type: 'stop' }
  if (fields.type !== 'level') throw new ProtocolError(`command.type: unknown ${String(fields.type)}`)
  const clients = count(fields, 'clients', 'command')
  if (clients === 0) throw new ProtocolError('command.clients: at least 1')
  const level: LevelCommand = {
    type: 'level',
    clients,
    warmupMs: count(fields, 'warmupMs', 'command'),
    durationMs: count(fields, 'durationMs', 'command'),
  }
  if (fields.rate === undefined) return level
  const rate = number(fields, 'rate', 'command')
  if (rate <= 0)
    throw new ProtocolError('command.rate: expected a positive number of transactions per second')
  return { ...level, rate }
}

function decodeLatency(value: unknown): LatencySummary | null {
  if (value === null) return null
  const fields = object(value, 'latency')
  return {
    p50_ms: number(fields, 'p50_ms', 'latency'),
    p95_ms: number(fields, 'p95_ms', 'latency'),
    p99_ms: number(fields, 'p99_ms', 'latency'),
    mean_ms: number(fields, 'mean_ms', 'latency'),
    max_ms: number(fields, 'max_ms', 'latency'),
  }
}

function decodeErrors(value: unknown): Record<string, number> {
  const fields = object(value, 'errors')
  const errors: Record<string, number> = {}
  for (const kind of Object.keys(fields)) errors[kind] = count(fields, kind, 'errors')
  return errors
}

function decodeSummary(value: unknown): LevelSummary {
  const fields = object(value, 'summary')
  return {
    clients: count(fields, 'clients', 'summary'),
    window_ms: number(fields, 'window_ms', 'summary'),
    committed: count(fields, 'committed', 'summary'),
    latency: decodeLatency(fields.latency),
    errors: decodeErrors(fields.errors),
  }
}

export function decodeEvent(line: string): GeneratorEvent {
  const fields = parseLine(line, 'event')
  switch (fields.type) {
    case 'ready':
      return { type: 'ready', accounts: count(fields, 'accounts', 'event') }
    case 'window-start':
    case 'window-end':
      return { type: fields.type, clients: count(fields, 'clients', 'event') }
    case 'progress':
      return {
        type: 'progress',
        clients: count(fields, 'clients', 'event'),
        committed: count(fields, 'committed', 'event'),
        errors: count(fields, 'errors', 'event'),
      }
    case 'level-done':
      return { type: 'level-done', summary: decodeSummary(fields.summary) }
    case 'failed':
      return { type: 'failed', message: String(fields.message) }
    default:
      throw new ProtocolError(`event.type: unknown ${String(fields.type)}`)
  }
}

export function encodeLine(message: GeneratorCommand | GeneratorEvent): string {
  return `${JSON.stringify(message)}\n`
}
