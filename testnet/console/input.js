// What a person typed into the controls, read strictly: a value the runner would refuse is caught on the page,
// and the message line says what to write, before anything is sent.

/** "0, 2 3" → [0, 2, 3]; undefined when any part is not a validator index. */
export function parseIndexList(text) {
  const parts = text.split(/[\s,]+/).filter((part) => part !== '')
  if (parts.length === 0 || !parts.every((part) => /^\d+$/.test(part))) return undefined
  return parts.map(Number)
}

/** A whole number typed into an input, or undefined. */
export function parseInteger(text) {
  const trimmed = text.trim()
  return /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : undefined
}
