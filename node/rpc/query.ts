// Parameters of a URI call (GET /block?height=5), as CometBFT reads them: bare integers and booleans are
// JSON values, quoted values are strings, anything else is taken as a string (hex hashes and addresses).

const integerPattern = /^-?\d{1,15}$/

export function queryParams(query: string): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const [key, value] of new URLSearchParams(query)) {
    // Keys such as __proto__ become plain own properties here, never the prototype.
    Object.defineProperty(params, key, {
      value: queryValue(value),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return params
}

function queryValue(text: string): unknown {
  if (integerPattern.test(text)) return Number(text)
  if (text === 'true') return true
  if (text === 'false') return false
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1)
  return text
}
