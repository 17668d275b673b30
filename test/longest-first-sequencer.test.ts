// The sequencer's list of long files must name files that exist: a renamed test would silently lose its place.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { longestFiles } from './longest-first-sequencer.js'

it('lists only test files that exist, each once', () => {
  const root = fileURLToPath(new URL('../', import.meta.url))
  for (const path of longestFiles) expect(existsSync(`${root}${path}`), path).toBe(true)
  expect(new Set(longestFiles).size).toBe(longestFiles.length)
})
