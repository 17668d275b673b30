// The goal of issue 8 (DESIGN §9 "Harm"): a Byzantine validator does no more harm than a crashed one. With f of
// n = 4 validators running each fixture, the honest ones keep at least 80% of the throughput they have with f
// silent validators, and at most twice the p99 latency, with every checker clean (no honest validator
// penalising another among them). `npm run sim -- --harm` runs the full table (n = 4 and 7, longer runs).
import { describe, expect, it } from 'vitest'
import { harmTable } from './harm.js'

const seed = 1

describe('harm: f Byzantine validators vs f crashed ones (n = 4, whole validators, simulated time)', () => {
  it('every fixture keeps throughput >= 0.8x and p99 latency <= 2x of the silent baseline', async () => {
    const rows = await harmTable({ seed, validatorCounts: [4], durationMs: 20_000 })
    const outside = rows
      .filter((row) => !row.withinBounds)
      .map(
        (row) =>
          `${row.fixture}: ${row.txPerSecond.toFixed(1)} tx/s (${row.throughputRatio.toFixed(2)}x), p99 ` +
          `${row.p99Ms} ms (${row.latencyRatio.toFixed(2)}x), ${row.violations.length} violations ` +
          `${row.violations[0]?.detail ?? ''}; reproduce: npm run sim -- --harm --validators 4 ` +
          `--duration-ms 20000 --fixture ${row.fixture} --seed ${seed}`,
      )
    expect(outside).toEqual([])
    expect(rows.find((row) => row.fixture === 'silent')!.txPerSecond).toBeGreaterThan(5)
  }, 480_000)
})
