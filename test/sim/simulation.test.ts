import { describe, expect, it } from 'vitest'
import { commitRules } from '../../ledger/commit-rule.js'
import { byzantineNames } from '../../testnet/byzantine/index.js'
import { checkAgreement } from './checkers.js'
import { Cluster } from './cluster.js'
import { fixtureSeed, runScenario } from './scenario.js'
import { runTwins, twinsScenario } from './twins.js'

/** A run with exactly f replicas of one fixture replays with --fixture. */
function fixtureFlag(result: Awaited<ReturnType<typeof runScenario>>): string {
  const names = new Set(result.byzantine.map((each) => each.name))
  const f = Math.floor((result.validators - 1) / 3)
  return names.size === 1 && result.byzantine.length === f ? ` --fixture ${[...names][0]}` : ''
}

/** Prints what replays a failed run, so a red test names its seed. */
function explain(result: Awaited<ReturnType<typeof runScenario>>): string {
  return [
    `seed=${result.seed} n=${result.validators} byzantine=${JSON.stringify(result.byzantine)}`,
    ...result.faults.map((fault) => `fault ${fault}`),
    ...result.violations.map((violation) => `${violation.kind}: ${violation.detail}`),
    `reproduce: npm run sim -- --seed ${result.seed} --validators ${result.validators}${fixtureFlag(result)}`,
  ].join('\n')
}

describe('deterministic simulation of the production consensus core', () => {
  it('replays a seed byte for byte', async () => {
    const first = await runScenario({ seed: 7, validators: 4 })
    const second = await runScenario({ seed: 7, validators: 4 })
    expect(second.traceHash).toBe(first.traceHash)
    expect(second.committedHeight).toBe(first.committedHeight)
    const other = await runScenario({ seed: 8, validators: 4 })
    expect(other.traceHash).not.toBe(first.traceHash)
  }, 180_000)

  // n = 7 and more seeds per fixture: `npm run sim -- --fixtures K`.
  for (const [i, fixture] of byzantineNames.entries()) {
    it(`n=4: f replicas run ${fixture}; partitions and crashes; safe, and live after the heal`, async () => {
      const result = await runScenario({ seed: fixtureSeed(4, i), validators: 4, fixture })
      expect(result.violations, explain(result)).toEqual([])
      expect(result.committedHeight, explain(result)).toBeGreaterThan(10)
    })
  }

  it('random scenarios with mixed fixtures and faults stay safe and live', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const result = await runScenario({ seed })
      expect(result.violations, explain(result)).toEqual([])
    }
  }, 180_000)

  it('a random scenario under the three-chain rule stays safe and live', async () => {
    const result = await runScenario({ seed: 4, commitRule: 'three-chain' })
    expect(result.violations, `${explain(result)} --commit-rule three-chain`).toEqual([])
  }, 180_000)
})

describe('Twins', () => {
  it.each(commitRules)(
    'a sample of n=4 scenarios with one twin never violates safety (%s)',
    async (commitRule) => {
      for (let seed = 1; seed <= 20; seed++) {
        const result = await runTwins(twinsScenario(seed, { commitRule }))
        const replay = `reproduce: npm run sim -- --seeds 0 --twins 1 --first-seed ${seed} --commit-rule ${commitRule}`
        expect(result.violations, `${JSON.stringify(result.scenario)}\n${replay}`).toEqual([])
      }
    },
    180_000,
  )

  it('checker self-test: with f+1 faulty (two twins in n=4) the agreement checker finds the fork', async () => {
    // Validators 2 and 3 are twinned. Nodes {0, 2, 3} and {1, 2', 3'} (ids 4, 5) each hold three distinct
    // validator keys, a quorum: each side commits its own chain.
    const cluster = new Cluster({
      validators: 4,
      seed: 99,
      nodes: [
        { index: 0 },
        { index: 1 },
        { index: 2, twin: true },
        { index: 3, twin: true },
        { index: 2, twin: true },
        { index: 3, twin: true },
      ],
      createEmptyBlocks: true,
    })
    cluster.network.partition([
      [0, 2, 3],
      [1, 4, 5],
    ])
    cluster.start()
    await cluster.runUntil(10_000)
    expect(cluster.nodes[0]!.committedHeight).toBeGreaterThan(0)
    expect(cluster.nodes[1]!.committedHeight).toBeGreaterThan(0)
    const violations = checkAgreement(cluster)
    expect(violations.length).toBeGreaterThan(0)
    expect(violations[0]!.kind).toBe('agreement')
  })
})
