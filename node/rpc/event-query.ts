// The event queries a WebSocket client may subscribe with: CometBFT's query syntax, for the two events
// Quorate publishes. Anything else is refused with the list of what is supported.

export type EventQuery =
  | { readonly event: 'new_block' }
  /** One transaction's commit, by its hash (lowercase hex). */
  | { readonly event: 'tx'; readonly hashHex: string }

export const supportedQueries = [
  "tm.event='NewBlock'",
  "tm.event='Tx' AND tx.hash='<64 hex digits>'",
] as const

const newBlockPattern = /^\s*tm\.event\s*=\s*'NewBlock'\s*$/
const txPattern =
  /^\s*(?:tm\.event\s*=\s*'Tx'\s+AND\s+tx\.hash\s*=\s*'([0-9a-fA-F]{64})'|tx\.hash\s*=\s*'([0-9a-fA-F]{64})'\s+AND\s+tm\.event\s*=\s*'Tx')\s*$/

/** The query, or a message saying why it is refused. */
export function parseEventQuery(query: unknown): EventQuery | string {
  if (typeof query !== 'string') return `query must be a string, one of: ${supportedQueries.join('; ')}`
  if (query.length > 256) return 'query longer than 256 characters'
  if (newBlockPattern.test(query)) return { event: 'new_block' }
  const tx = txPattern.exec(query)
  if (tx !== null) return { event: 'tx', hashHex: (tx[1] ?? tx[2]!).toLowerCase() }
  return `unsupported query ${JSON.stringify(query)}; supported: ${supportedQueries.join('; ')}`
}
