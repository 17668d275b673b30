// `npm run bench -- --help` names every benchmark and option the bench accepts, and exits 0.
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const main = fileURLToPath(new URL('../bench/main.ts', import.meta.url))

describe('npm run bench -- --help', () => {
  it('lists every benchmark and every option main.ts parses', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', main, '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status).toBe(0)
    for (const bench of ['catch-up', 'flood', 'harm', 'load', 'leader-crash', 'soak'])
      expect(run.stdout).toContain(bench)
    const source = await readFile(main, 'utf8')
    const parsed = [...source.matchAll(/^ {4}'?([a-z-]+)'?: \{ type: 'string'/gm)].map(
      (match) => `--${match[1]}`,
    )
    expect(parsed.length).toBeGreaterThan(10)
    for (const option of parsed) expect(run.stdout, option).toContain(option)
  })
})
