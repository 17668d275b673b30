import { describe, expect, it } from 'vitest'
import { checkExactlyOnce, checkSafety } from '../sim/checkers.js'
import { Cluster } from '../sim/cluster.js'

// Whole validators on simulated time, links 5–40 ms: a block interval far above one round trip shows whether a
// leader waits for it (latency ≥ 3 intervals, one per chained QC) or proposes as soon as it holds the QC.
const blockIntervalMs = 600

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

describe('optimistic responsiveness: the block interval paces only idle blocks', () => {
  it('a transaction commits in network round trips, not block intervals', async () => {
    const seed = 91
    const cluster = new Cluster({
      validators: 4,
      seed,
      clients: 1,
      clientIntervalMs: 50,
      clientLoop: 'closed',
      blockIntervalMs,
    })
    cluster.clientsStopAtMs = 20_000
    cluster.start()
    await cluster.runUntil(25_000)
    expect(checkSafety(cluster), `seed ${seed}`).toEqual([])
    expect(checkExactlyOnce(cluster, true), `seed ${seed}`).toEqual([])
    const latencies = [...cluster.txRecords.values()].flatMap((record) =>
      record.committedAtMs === undefined ? [] : [record.committedAtMs - record.submittedAtMs],
    )
    expect(latencies.length, `seed ${seed}`).toBeGreaterThan(20)
    // Three chained QCs of one proposal and one vote hop each (≤ 80 ms a round here), plus the tx's gossip.
    expect(median(latencies), `seed ${seed}`).toBeLessThan(blockIntervalMs)
  })

  it('with create_empty_blocks, an idle chain spaces its empty blocks by the block interval', async () => {
    const seed = 92
    const cluster = new Cluster({ validators: 4, seed, blockIntervalMs, createEmptyBlocks: true })
    cluster.start()
    await cluster.runUntil(10_000)
    expect(checkSafety(cluster), `seed ${seed}`).toEqual([])
    const committed = cluster.nodes[0]!.committed.map((each) => each.block.header.timestampMs)
    expect(committed.length, `seed ${seed}`).toBeGreaterThan(5)
    for (let i = 1; i < committed.length; i++) {
      expect(committed[i]! - committed[i - 1]!, `seed ${seed}, block ${i}`).toBeGreaterThanOrEqual(
        blockIntervalMs,
      )
    }
  })
})
