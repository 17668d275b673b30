// The lab's values as the page shows them: a dash for anything missing, times on the 24-hour clock, long hashes
// shortened (the full one goes in a tooltip).

import { isCount } from './values.js'

export function formatCount(value) {
  return isCount(value) ? String(value) : '—'
}

export function formatTime(ms) {
  return isCount(ms) ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '—'
}

export function shortHash(hash) {
  return typeof hash === 'string' && hash.length > 14 ? `${hash.slice(0, 12)}…` : String(hash ?? '—')
}

/** "1 view change", "2 view changes". */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/** Any JSON value in one line: scalars as they are, a flat list joined by commas, anything else as JSON. */
export function describeValue(value) {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) {
    return value.join(', ')
  }
  return JSON.stringify(value)
}

/** What a caught error says, whatever was thrown. */
export function describeError(error) {
  return error instanceof Error ? error.message : String(error)
}
