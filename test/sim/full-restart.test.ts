// Every validator crashes at the same moment and restarts from what it had on disk. The moment is swept over
// many points of a run, so some fall between a commit (made on a QC formed from broadcast votes) and the next
// safety-state write: the restarted replicas then hold a highQC older than the QC that committed their head,
// and the next block's state root refers to a height below that head. They must still go on committing.
import { describe, expect, it } from 'vitest'
import { propertySeed } from '../support/arbitraries.js'
import { checkSafety } from './checkers.js'
import { Cluster } from './cluster.js'

const seed = propertySeed()
const crashMoments = 30

describe(`a restart of every validator at once (seed ${seed})`, () => {
  it(`stays safe and commits again, whatever the moment of the crash (${crashMoments} moments)`, async () => {
    const stuck: string[] = []
    for (let moment = 0; moment < crashMoments; moment++) {
      const crashAtMs = 3_000 + moment * 53
      const cluster = new Cluster({ validators: 4, seed: seed + moment, clients: 2, clientIntervalMs: 300 })
      cluster.start()
      await cluster.runUntil(crashAtMs)
      for (const node of cluster.nodes) cluster.crash(node.id)
      const heightsAtCrash = cluster.nodes.map((node) => node.committedHeight)
      await cluster.runUntil(crashAtMs + 500)
      for (const node of cluster.nodes) cluster.restart(node.id)
      await cluster.runUntil(crashAtMs + 30_000)

      expect(checkSafety(cluster), `crash at ${crashAtMs} ms; seed ${seed + moment}`).toEqual([])
      const progress = cluster.nodes.map((node, i) => node.committedHeight - heightsAtCrash[i]!)
      if (progress.some((blocks) => blocks < 5)) {
        stuck.push(`crash at ${crashAtMs} ms (seed ${seed + moment}): blocks committed after it ${progress}`)
      }
    }
    expect(stuck, `reproduce with QUORATE_SEED=${seed}`).toEqual([])
  })
})
