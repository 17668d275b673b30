import { readFileSync } from 'node:fs'

let cached: string | undefined

/**
 * The version in Quorate's package.json, found by walking up from this module (it sits one level deeper in
 * `dist/` than in the sources).
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const json = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as Record<
        string,
        unknown
      >
      if (json.name === 'quorate' && typeof json.version === 'string') {
        cached = json.version
        return cached
      }
    } catch {
      // Not this one: try the next level up.
    }
  }
  cached = 'unknown'
  return cached
}
