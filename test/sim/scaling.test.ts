// Scaling (issue 9): each validator's traffic per committed block grows linearly in n (its vote to every other
// validator, plus its share of the proposals), so the cluster's grows as n². A protocol change that made one
// validator's traffic quadratic (relaying every vote to everyone, say) multiplies the n = 10 figure by about
// (10/4)² against n = 4, where linear growth gives at most 10/4. `npm run sim -- --scaling` runs n = 4 … 64.
import { describe, expect, it } from 'vitest'
import { linearFit, scalingTable } from './scaling.js'

const seed = 1
const validatorCounts = [4, 7, 10]
/** Linear growth from n = 4 to n = 10 is at most 10/4 = 2.5× (less with a constant part); quadratic is 6.25×. */
const growthFromFourToTenMax = 3.5
const rSquaredMin = 0.95

describe('linear fit', () => {
  it('recovers a line exactly, and explains less of a parabola', () => {
    const line = linearFit([4, 7, 10, 16], [13, 22, 31, 49])
    expect(line.slope).toBeCloseTo(3, 12)
    expect(line.intercept).toBeCloseTo(1, 12)
    expect(line.rSquared).toBeCloseTo(1, 12)
    const ns = [4, 7, 10, 16, 31, 64]
    expect(
      linearFit(
        ns,
        ns.map((n) => n * n),
      ).rSquared,
    ).toBeLessThan(0.99)
    expect(() => linearFit([4, 4], [1, 2])).toThrow(RangeError)
  })
})

describe('scaling: traffic per committed block (whole validators, calm network, simulated time)', () => {
  it('per-validator frames and bytes per block grow no faster than linearly in n (n = 4, 7, 10)', async () => {
    const { rows, fits } = await scalingTable({ seed, validatorCounts, windowMs: 3_000, warmupMs: 2_000 })
    const replay = `reproduce: npm run sim -- --scaling --validators 4,7,10 --duration-ms 3000 --seed ${seed}`
    const table = rows
      .map(
        (row) =>
          `n=${row.validators}: ${row.committedBlocks} blocks, ${row.perBlock.framesPerValidator.toFixed(2)} frames ` +
          `and ${row.perBlock.bytesPerValidator.toFixed(0)} bytes per validator per block`,
      )
      .join('; ')
    for (const row of rows) {
      expect(row.violations, `n=${row.validators}: ${replay}`).toEqual([])
      expect(row.committedBlocks, `n=${row.validators}: ${replay}`).toBeGreaterThan(10)
    }
    if (fits === null) throw new Error('three validator counts give a fit')
    const [four, , ten] = rows
    const framesGrowth = ten!.perBlock.framesPerValidator / four!.perBlock.framesPerValidator
    const bytesGrowth = ten!.perBlock.bytesPerValidator / four!.perBlock.bytesPerValidator
    expect(framesGrowth, `${table}; ${replay}`).toBeLessThan(growthFromFourToTenMax)
    expect(bytesGrowth, `${table}; ${replay}`).toBeLessThan(growthFromFourToTenMax)
    expect(fits.framesPerValidator.rSquared, `${table}; ${replay}`).toBeGreaterThan(rSquaredMin)
    expect(fits.bytesPerValidator.rSquared, `${table}; ${replay}`).toBeGreaterThan(rSquaredMin)
    // The cluster's total is n times the per-validator figure: votes go to every validator (docs/protocol.md).
    for (const row of rows)
      expect(row.perBlock.frames).toBeCloseTo(row.perBlock.framesPerValidator * row.validators, 6)
  }, 120_000)
})
