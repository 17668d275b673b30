// The shipped scenario files, each run as a user runs it (`quorate scenario NAME`, the built CLI as its own
// process, starting its own validator processes): it must pass the client-history checker and its own
// expectations. `npm test` runs the ones listed in `inTestSuite`; `npm run test:e2e` runs every scenario and
// every fixture of the fixture sweep (QUORATE_SCENARIOS=all, or a comma-separated list of names).

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { byzantineNames } from '../../testnet/byzantine/registry.js'
import { loadScenario, scenarioNames } from '../../testnet/lab/scenario-file.js'
import type { ScenarioVerdict } from '../../testnet/lab/scenario-verdict.js'
import { killRunningClis, runCli } from '../cli/run-cli.js'
import { freeBasePort } from '../support/free-ports.js'

/**
 * What fits in `npm test`'s time: a partition without quorum (nothing may commit) and its heal, checked from
 * the clients' history. test/e2e/fault-lab-ctl.test.ts covers each control on its own.
 */
const inTestSuite = ['partition-2-2']
/** Beyond the scenario's own duration: starting, checking and stopping a testnet. */
const overheadMs = 90_000

const selection = process.env.QUORATE_SCENARIOS
const all = await scenarioNames()
const chosen = selection === 'all' ? all : selection === undefined ? inTestSuite : selection.split(',')
const dirs: string[] = []

afterEach(() => killRunningClis())
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function runScenario(name: string, fixture?: string): Promise<ScenarioVerdict> {
  const scenario = await loadScenario(name)
  const dir = await mkdtemp(join(tmpdir(), `quorate-scenario-${name}-`))
  dirs.push(dir)
  const basePort = await freeBasePort(scenario.validators)
  const args = ['scenario', name, '--dir', dir, '--base-port', String(basePort)]
  if (fixture !== undefined) args.push('--fixture', fixture)
  const run = await runCli(args, {}, scenario.durationMs + overheadMs)
  const verdictFile = fixture === undefined ? join(dir, 'verdict.json') : join(dir, fixture, 'verdict.json')
  const verdict = JSON.parse(
    await readFile(verdictFile, 'utf8').catch(() => 'null'),
  ) as ScenarioVerdict | null
  if (run.code !== 0 || verdict?.passed !== true) {
    console.error(
      `scenario ${name}${fixture === undefined ? '' : ` --fixture ${fixture}`} output:\n${run.stdout}\n${run.stderr}`,
    )
  }
  expect(run.code).toBe(0)
  expect(verdict).not.toBeNull()
  return verdict!
}

describe('shipped scenarios', () => {
  it('are all valid files, and the ones chosen exist', async () => {
    for (const name of all) await loadScenario(name)
    for (const name of chosen) expect(all).toContain(name)
    expect(all.length).toBeGreaterThanOrEqual(13)
  })

  for (const name of chosen.filter((name) => name !== 'byzantine-each')) {
    it(`${name} passes`, { timeout: 10 * 60_000 }, async () => {
      const verdict = await runScenario(name)
      expect(verdict.passed).toBe(true)
      expect(verdict.play.load.ok).toBeGreaterThan(0)
      expect(verdict.evidence.read_from.length, 'evidence read from the honest validators').toBeGreaterThan(0)
      for (const expectation of verdict.expectations)
        expect(expectation, expectation.detail).toMatchObject({ ok: true })
    })
  }

  if (chosen.includes('byzantine-each')) {
    for (const fixture of byzantineNames) {
      it(`byzantine-each passes with ${fixture}`, { timeout: 10 * 60_000 }, async () => {
        const verdict = await runScenario('byzantine-each', fixture)
        expect(verdict).toMatchObject({ passed: true, fixture })
      })
    }
  }
})
