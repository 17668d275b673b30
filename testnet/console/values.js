// Checks on the values in the lab's JSON. The console trusts nothing it is sent: a field may be missing, null
// or of another type, and each panel then shows a dash rather than failing.

export function isCount(value) {
  return typeof value === 'number' && Number.isFinite(value)
}

export function isObject(value) {
  return typeof value === 'object' && value !== null
}

/** The items of `value` that `keep` accepts; [] when it is not an array. */
export function listOf(value, keep = () => true) {
  return Array.isArray(value) ? value.filter(keep) : []
}

/** Whether two lists of names hold the same names in the same order. */
export function sameList(a, b) {
  return a.join('\n') === b.join('\n')
}
