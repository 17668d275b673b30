import { describe, expect, it } from 'vitest'
import { Cluster, checkAgreement } from '../sim/cluster.js'

describe('consensus core in a simulated cluster', () => {
  it('four honest replicas commit the same chain', () => {
    const cluster = new Cluster({ validators: 4, seed: 1 })
    cluster.start()
    cluster.runUntil(5_000)
    checkAgreement(cluster)
    for (const replica of cluster.replicas)
      expect(replica.committed.length, `replica ${replica.index}`).toBeGreaterThan(20)
  })

  it('a crashed validator, leader or not, does not stop the other three', () => {
    const cluster = new Cluster({ validators: 4, seed: 2 })
    cluster.start()
    cluster.runUntil(2_000)
    const before = cluster.committedHeight(0)
    cluster.crash(1)
    cluster.runUntil(30_000)
    checkAgreement(cluster)
    for (const index of [0, 2, 3]) expect(cluster.committedHeight(index)).toBeGreaterThan(before + 10)
    // Blocks proposed after the crash come from the other three; the views replica 1 would lead time out.
    const afterCrash = cluster.replicas[0]!.committed.filter((each) => each.block.header.timestampMs > 2_100)
    expect(afterCrash.length).toBeGreaterThan(10)
    const proposers = new Set(afterCrash.map((each) => each.block.header.proposer))
    expect([...proposers].sort()).toEqual([0, 2, 3])
  })
})
