// Every validator crashes at the same moment (a power cut) and restarts from what it had on disk. The moment is
// swept over many points of a run. Two hazards of a restart are hit this way:
// - between a commit (made on a QC formed from broadcast votes) and the next safety-state write, the restarted
//   replicas hold a highQC older than the QC that committed their head, and the next block's state root refers
//   to a height below that head (the core must boot with those state roots);
// - with f validators silent and a lossy network before the cut, honest replicas restart in different views:
//   one entered view v+1 with TC(v), the others still time out in v. Unless the TC survived the restart and is
//   relayed, neither 2f+1 timeouts for v nor f+1 for v+1 ever come, and the chain stops for good.
import { describe, expect, it } from 'vitest'
import { propertySeed } from '../support/arbitraries.js'
import { checkSafety } from './checkers.js'
import { Cluster, type NodeSpec } from './cluster.js'

const seed = propertySeed()
const crashMoments = 8
const lossy = { delayMsMin: 1, delayMsMax: 300, lossProbability: 0.2, duplicateProbability: 0.1 }

const cases: ReadonlyArray<{ name: string; nodes: NodeSpec[]; lossyBeforeCut: boolean }> = [
  {
    name: 'four honest validators, calm network',
    nodes: [0, 1, 2, 3].map((index) => ({ index })),
    lossyBeforeCut: false,
  },
  {
    name: 'validator 0 silent, lossy network before the cut',
    nodes: [{ index: 0, byzantine: 'silent' }, { index: 1 }, { index: 2 }, { index: 3 }],
    lossyBeforeCut: true,
  },
]

describe(`a power cut: every validator restarts at once (seed ${seed})`, () => {
  for (const { name, nodes, lossyBeforeCut } of cases) {
    it(`${name}: stays safe and the honest ones commit again, whatever the moment (${crashMoments} moments)`, async () => {
      const stuck: string[] = []
      for (let moment = 0; moment < crashMoments; moment++) {
        const crashAtMs = 3_000 + moment * 131
        const runSeed = seed + moment
        const cluster = new Cluster({
          validators: 4,
          seed: runSeed,
          nodes,
          clients: 2,
          clientIntervalMs: 300,
        })
        if (lossyBeforeCut) cluster.at(1_000, () => cluster.network.setProfile(lossy))
        cluster.start()
        await cluster.runUntil(crashAtMs)
        for (const node of cluster.nodes) cluster.crash(node.id)
        cluster.network.heal()
        const heightsAtCrash = cluster.nodes.map((node) => node.committedHeight)
        await cluster.runUntil(crashAtMs + 500)
        for (const node of cluster.nodes) cluster.restart(node.id)
        await cluster.runUntil(crashAtMs + 30_000)

        expect(checkSafety(cluster), `crash at ${crashAtMs} ms; seed ${runSeed}`).toEqual([])
        const progress = cluster.honestNodes.map((node) => node.committedHeight - heightsAtCrash[node.id]!)
        if (progress.some((blocks) => blocks < 5)) {
          stuck.push(`crash at ${crashAtMs} ms (seed ${runSeed}): blocks committed after it ${progress}`)
        }
      }
      expect(stuck, `reproduce with QUORATE_SEED=${seed}`).toEqual([])
    }, 180_000)
  }
})
