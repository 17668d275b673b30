// The records of a client history (docs/fault-lab.md, "The history checker"): one `invoke` per request, then
// exactly one outcome for it. Field names are the file's own (snake_case); fields may be added, never renamed.

export interface InvokeRecord {
  readonly op: 'invoke'
  readonly id: number
  readonly client: number
  readonly t_ms: number
  /** The transaction's hash, lowercase hex. */
  readonly tx: string
  readonly from: string
  readonly to: string
  /** Decimal string. */
  readonly amount: string
  readonly nonce: number
  /** The validator the request went to. */
  readonly node: number
}

/** The node answered broadcast_tx_commit with the height that committed the transaction. */
export interface OkRecord {
  readonly op: 'ok'
  readonly id: number
  readonly t_ms: number
  readonly height: number
  /** The execution receipt's code, present only when not 0 (committed, but the transfer did not execute). */
  readonly code?: number
}

/** A definite rejection: the transaction was not admitted. */
export interface FailRecord {
  readonly op: 'fail'
  readonly id: number
  readonly t_ms: number
  readonly error: string
}

/** No definite answer (timeout, reset, node gone): the transaction may or may not commit. */
export interface UnknownRecord {
  readonly op: 'unknown'
  readonly id: number
  readonly t_ms: number
  readonly error: string
}

export type OutcomeRecord = OkRecord | FailRecord | UnknownRecord
export type HistoryRecord = InvokeRecord | OutcomeRecord

/** Error texts longer than this are cut when written, so a line stays short. */
export const historyErrorLengthMax = 500

const hashPattern = /^[0-9a-f]{64}$/
const decimalPattern = /^(?:0|[1-9][0-9]*)$/

/** Narrows a parsed JSON value to a record, or throws an Error whose message names the bad field. */
export function decodeHistoryRecord(value: unknown): HistoryRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not a JSON object')
  const fields = value as Record<string, unknown>
  const id = integer(fields, 'id', 0)
  const t_ms = integer(fields, 't_ms', 0)
  switch (fields.op) {
    case 'invoke':
      return {
        op: 'invoke',
        id,
        client: integer(fields, 'client', 0),
        t_ms,
        tx: hash(fields, 'tx'),
        from: hash(fields, 'from'),
        to: hash(fields, 'to'),
        amount: decimal(fields, 'amount'),
        nonce: integer(fields, 'nonce', 0),
        node: integer(fields, 'node', 0),
      }
    case 'ok': {
      const code = fields.code === undefined ? undefined : integer(fields, 'code', 1)
      return {
        op: 'ok',
        id,
        t_ms,
        height: integer(fields, 'height', 1),
        ...(code === undefined ? {} : { code }),
      }
    }
    case 'fail':
    case 'unknown':
      return { op: fields.op, id, t_ms, error: text(fields, 'error') }
    default:
      throw new Error(`op: expected invoke, ok, fail or unknown, got ${JSON.stringify(fields.op)}`)
  }
}

function integer(fields: Record<string, unknown>, name: string, min: number): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new Error(`${name}: expected an integer ≥ ${min}, got ${JSON.stringify(value)}`)
  return value
}

function hash(fields: Record<string, unknown>, name: string): string {
  const value = fields[name]
  if (typeof value !== 'string' || !hashPattern.test(value))
    throw new Error(`${name}: expected 64 lowercase hex characters, got ${JSON.stringify(value)}`)
  return value
}

function decimal(fields: Record<string, unknown>, name: string): string {
  const value = fields[name]
  if (typeof value !== 'string' || !decimalPattern.test(value))
    throw new Error(`${name}: expected a decimal string, got ${JSON.stringify(value)}`)
  return value
}

function text(fields: Record<string, unknown>, name: string): string {
  const value = fields[name]
  if (typeof value !== 'string') throw new Error(`${name}: expected a string, got ${JSON.stringify(value)}`)
  return value
}

/** One request: its invoke and, unless the history ends before it, its outcome. */
export interface Operation {
  readonly invoke: InvokeRecord
  readonly outcome: OutcomeRecord | undefined
}

/**
 * Pairs records into operations as they come, refusing what a history cannot hold: an id invoked twice, an
 * outcome without an earlier invoke, a second outcome.
 */
export class OperationPairing {
  readonly #operations = new Map<number, { invoke: InvokeRecord; outcome: OutcomeRecord | undefined }>()

  /** Throws an Error saying what is wrong with `record` given the records before it. */
  add(record: HistoryRecord): void {
    const known = this.#operations.get(record.id)
    if (record.op === 'invoke') {
      if (known !== undefined) throw new Error(`id ${record.id} is invoked a second time`)
      this.#operations.set(record.id, { invoke: record, outcome: undefined })
      return
    }
    if (known === undefined) throw new Error(`${record.op} for id ${record.id}, which was not invoked before`)
    if (known.outcome !== undefined)
      throw new Error(`a second outcome for id ${record.id} (it was ${known.outcome.op} already)`)
    if (record.t_ms < known.invoke.t_ms)
      throw new Error(`${record.op} for id ${record.id} has t_ms before its invoke's`)
    known.outcome = record
  }

  /** In invoke order. */
  operations(): Operation[] {
    return [...this.#operations.values()]
  }
}

/** Pairs a whole history; throws naming the record (by position, from 1) that breaks it. */
export function operationsOf(records: readonly HistoryRecord[]): Operation[] {
  const pairing = new OperationPairing()
  records.forEach((record, position) => {
    try {
      pairing.add(record)
    } catch (error) {
      throw new Error(`record ${position + 1}: ${(error as Error).message}`)
    }
  })
  return pairing.operations()
}
