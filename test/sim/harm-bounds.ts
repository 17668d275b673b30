// The goal of issue 8 (DESIGN §9 "Harm"): a Byzantine validator does no more harm than a crashed one. With f of
// n = 4 validators running each fixture, the honest ones keep at least 80% of the throughput they have with f
// crashed validators, and at most twice the p99 latency, with every checker clean (no honest validator
// penalising another among them). Crashed means the worse of silent from the start and crashing mid-run (a
// fixture cut off by its peers mid-run is that). And (issue 9) f crashed validators keep at least 75% of the
// fault-free throughput. `npm run sim -- --harm` runs the full table (n = 4 and 7, longer runs).
// Two test files run half the fixtures each, so that `npm test`'s two workers share the table.
import { expect } from 'vitest'
import { byzantineNames } from '../../testnet/byzantine/registry.js'
import { harmTable } from './harm.js'

const seed = 1
const durationMs = 10_000

/** Half `part` (0 or 1) of the fixtures, in registry order. */
export function fixtureHalf(part: 0 | 1): (typeof byzantineNames)[number][] {
  const middle = Math.ceil(byzantineNames.length / 2)
  return part === 0 ? byzantineNames.slice(0, middle) : byzantineNames.slice(middle)
}

export async function expectHarmWithinBounds(
  fixtures: readonly (typeof byzantineNames)[number][],
): Promise<void> {
  const rows = await harmTable({ seed, validatorCounts: [4], durationMs, fixtures })
  const outside = rows
    .filter((row) => !row.withinBounds)
    .map(
      (row) =>
        `${row.fixture}: ${row.txPerSecond.toFixed(1)} tx/s (${row.throughputRatio.toFixed(2)}x), p99 ` +
        `${row.p99Ms} ms (${row.latencyRatio.toFixed(2)}x), ${row.violations.length} violations ` +
        `${row.violations[0]?.detail ?? ''}; reproduce: npm run sim -- --harm --validators 4 ` +
        `--duration-ms ${durationMs} --fixture ${row.fixture} --seed ${seed}`,
    )
  expect(outside).toEqual([])
  // Leader election passes crashed validators over (docs/protocol.md, "Leader election"): f of them cost at
  // most a quarter of the fault-free throughput (round robin cost them a view timeout every rotation: ~1/7).
  const rate = (fixture: string) => rows.find((row) => row.fixture === fixture)!.txPerSecond
  expect(rate('silent') / rate('fault-free')).toBeGreaterThanOrEqual(0.75)
}
