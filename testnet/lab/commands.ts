// The fault lab's commands, parsed from the JSON of `POST /api/control` (and `quorate testnet ctl`), with an
// error naming the field for anything malformed. docs/fault-lab.md lists them.

import { byzantineNames, isByzantineName } from '../byzantine/registry.js'
import { LabRequestError } from './lab-error.js'

export type LabCommand =
  | { readonly command: 'kill' | 'pause' | 'resume'; readonly validator: number }
  /** fixture: a malicious fixture's name, null for honest, undefined for as it ran before. */
  | { readonly command: 'restart'; readonly validator: number; readonly fixture?: string | null }
  | { readonly command: 'partition'; readonly groups: readonly (readonly number[])[] }
  | { readonly command: 'cut'; readonly from: readonly number[]; readonly to: readonly number[] }
  | { readonly command: 'heal' }
  | {
      readonly command: 'link'
      readonly from: number
      readonly to: number
      readonly delayMs: number
      readonly dropRate: number
      readonly both: boolean
    }
  | { readonly command: 'skew'; readonly validator: number; readonly ms: number }

export const labCommandNames = [
  'kill',
  'restart',
  'pause',
  'resume',
  'partition',
  'heal',
  'link',
  'skew',
] as const

export function parseLabCommand(body: unknown): LabCommand {
  const fields = objectOf(body, 'the request body')
  const { command } = fields
  switch (command) {
    case 'kill':
    case 'pause':
    case 'resume':
      return { command, validator: index(fields, 'validator') }
    case 'restart': {
      const fixture = fields.fixture
      if (
        fixture !== undefined &&
        fixture !== null &&
        (typeof fixture !== 'string' || !isByzantineName(fixture))
      ) {
        throw bad(
          `fixture: one of ${byzantineNames.join(', ')}, or null for honest; got ${JSON.stringify(fixture)}`,
        )
      }
      return { command, validator: index(fields, 'validator'), ...(fixture === undefined ? {} : { fixture }) }
    }
    case 'partition':
      if (fields.groups !== undefined) {
        const groups = fields.groups
        if (!Array.isArray(groups) || groups.length === 0)
          throw bad('groups: a non-empty array of index arrays')
        return { command, groups: groups.map((group, position) => indexList(group, `groups[${position}]`)) }
      }
      return { command: 'cut', from: indexList(fields.from, 'from'), to: indexList(fields.to, 'to') }
    case 'heal':
      return { command }
    case 'link':
      return {
        command,
        from: index(fields, 'from'),
        to: index(fields, 'to'),
        delayMs: wholeNumber(fields, 'delay_ms', 0, 60_000),
        dropRate: rate(fields, 'drop_rate'),
        both: fields.both === true,
      }
    case 'skew':
      return {
        command,
        validator: index(fields, 'validator'),
        ms: wholeNumber(fields, 'ms', -86_400_000, 86_400_000),
      }
    default:
      throw bad(`command: one of ${labCommandNames.join(', ')}; got ${JSON.stringify(command)}`)
  }
}

function bad(message: string): LabRequestError {
  return new LabRequestError('bad-request', message)
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(`${what} must be a JSON object`)
  return value as Record<string, unknown>
}

function index(fields: Record<string, unknown>, name: string): number {
  return indexValue(fields[name], name)
}

function indexValue(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw bad(`${name}: a validator index (0, 1, …) is required; got ${JSON.stringify(value)}`)
  }
  return value
}

function indexList(value: unknown, name: string): number[] {
  if (!Array.isArray(value) || value.length === 0)
    throw bad(`${name}: a non-empty array of validator indexes`)
  return value.map((item, position) => indexValue(item, `${name}[${position}]`))
}

function wholeNumber(fields: Record<string, unknown>, name: string, min: number, max: number): number {
  const value = fields[name] ?? 0
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(`${name}: a whole number ${min}..${max}; got ${JSON.stringify(fields[name])}`)
  }
  return value
}

function rate(fields: Record<string, unknown>, name: string): number {
  const value = fields[name] ?? 0
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw bad(`${name}: a probability 0..1; got ${JSON.stringify(fields[name])}`)
  }
  return value
}
