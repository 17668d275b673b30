// JSON.parse recurses once per nesting level, so a body of a million `[` can exhaust the stack (or, nested just
// below that, the methods that walk the value). This scan counts nesting over the raw bytes, without recursion
// and without decoding, before anything parses them.

const quote = 0x22
const backslash = 0x5c
const openBracket = 0x5b
const closeBracket = 0x5d
const openBrace = 0x7b
const closeBrace = 0x7d

/**
 * The deepest nesting of arrays and objects in `bytes`, read as JSON text: brackets and braces inside strings
 * do not count. Works on any bytes (UTF-8 continuation bytes never equal an ASCII delimiter); for text that
 * is not valid JSON the result is only an upper bound of what a parser would see, which is all a limit needs.
 * Stops early, returning a value above `depthMax`, once that bound is exceeded.
 */
export function jsonDepth(bytes: Uint8Array, depthMax: number = Number.POSITIVE_INFINITY): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (inString) {
      if (byte === backslash) i++
      else if (byte === quote) inString = false
      continue
    }
    if (byte === quote) inString = true
    else if (byte === openBracket || byte === openBrace) {
      depth++
      if (depth > deepest) {
        deepest = depth
        if (deepest > depthMax) return deepest
      }
    } else if ((byte === closeBracket || byte === closeBrace) && depth > 0) depth--
  }
  return deepest
}
