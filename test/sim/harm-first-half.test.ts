// The harm bounds (test/sim/harm-bounds.ts) for the first half of the malicious fixtures.
import { describe, it } from 'vitest'
import { expectHarmWithinBounds, fixtureHalf } from './harm-bounds.js'

describe('harm: f Byzantine validators vs f crashed ones (n = 4, whole validators, simulated time)', () => {
  it('the first half of the fixtures keep throughput >= 0.8x and p99 <= 2x of f crashed; f crashed keep >= 0.75x of fault-free', async () => {
    await expectHarmWithinBounds(fixtureHalf(0))
  }, 480_000)
})
