// A crashed leader's connections close at once (the kernel resets them when the process dies), so the replicas
// waiting on its proposal time its view out then instead of a view timeout later (docs/protocol.md,
// "Unreachable leaders"). Swept over moments of a view: before the leader proposed, and after (then the view
// lost is its next one). The whole validators run over simulated time; a crash closes the connections as the
// p2p host reports them.
import { describe, expect, it } from 'vitest'
import { viewTimeoutBaseMs } from '../../ledger/limits.js'
import { expectedLeader } from '../../node/consensus/index.js'
import { propertySeed } from '../support/arbitraries.js'
import { checkSafety } from './checkers.js'
import { Cluster } from './cluster.js'

const seed = propertySeed()
const crashMoments = 4
const windowMs = 6_000

/** The longest time between consecutive commits of any honest node in [fromMs, toMs]. */
function longestCommitGapMs(commitTimes: readonly number[][], fromMs: number, toMs: number): number {
  let longest = 0
  for (const times of commitTimes) {
    let previous = fromMs
    for (const atMs of times.filter((t) => t >= fromMs && t <= toMs)) {
      longest = Math.max(longest, atMs - previous)
      previous = atMs
    }
    longest = Math.max(longest, toMs - previous)
  }
  return longest
}

describe(`a crashed leader costs no view timeout (n = 4, seed ${seed})`, () => {
  it(`the honest validators keep committing across the crash, whatever the moment (${crashMoments} moments)`, async () => {
    const slow: string[] = []
    for (let moment = 0; moment < crashMoments; moment++) {
      const runSeed = seed + moment
      const cluster = new Cluster({ validators: 4, seed: runSeed, clients: 8, clientIntervalMs: 100 })
      cluster.start()
      await cluster.runUntil(500)
      const commitTimes = cluster.nodes.map((node) => {
        const times: number[] = []
        node.validator!.onCommitted(() => times.push(cluster.nowMs))
        return times
      })
      const crashAtMs = 3_000 + moment * 71
      await cluster.runUntil(crashAtMs)
      const observer = cluster.nodes[0]!.validator!.consensus
      const victim = expectedLeader(observer, observer.view)
      cluster.crash(victim)
      await cluster.runUntil(crashAtMs + windowMs)

      const reproduce = `crash of leader ${victim} at ${crashAtMs} ms; seed ${runSeed}`
      expect(checkSafety(cluster), reproduce).toEqual([])
      const survivors = commitTimes.filter((_, id) => id !== victim)
      const gapMs = longestCommitGapMs(survivors, crashAtMs, crashAtMs + windowMs)
      // Without the early timeout, the victim's next own view costs a whole view timeout (1,000 ms).
      if (gapMs >= viewTimeoutBaseMs / 2) slow.push(`${reproduce}: no commit for ${gapMs} ms`)
    }
    expect(slow, `reproduce with QUORATE_SEED=${seed}`).toEqual([])
  }, 120_000)
})
