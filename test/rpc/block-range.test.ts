// The heights `blockchain` lists: CometBFT's choice (inclusive bounds, 0 or absent for the chain's ends, the
// newest 20 of what remains), never more than the limit, never above the head, and a clear -32602 for a range
// that cannot hold a committed block.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { blockchainLengthMax, blockRange } from '../../node/rpc/block-range.js'
import { type RpcError, RpcErrorCode } from '../../node/rpc/errors.js'
import { propertyParameters } from '../support/arbitraries.js'
import { invalidParamsMessage } from './helpers.js'

describe('blockchain height ranges', () => {
  it('defaults to the newest 20 committed heights', () => {
    expect(blockRange({}, 100)).toEqual({ minHeight: 81, maxHeight: 100 })
    expect(blockRange({}, 7)).toEqual({ minHeight: 1, maxHeight: 7 })
    expect(blockRange({ minHeight: 0, maxHeight: 0 }, 7)).toEqual({ minHeight: 1, maxHeight: 7 })
  })

  it('nothing committed yet: an empty range, not an error', () => {
    const range = blockRange({}, 0)
    expect(range.minHeight).toBeGreaterThan(range.maxHeight)
  })

  it('keeps the newest 20 of a wider range, lowers maxHeight to the head', () => {
    expect(blockRange({ minHeight: 3, maxHeight: 90 }, 100)).toEqual({ minHeight: 71, maxHeight: 90 })
    expect(blockRange({ minHeight: 3, maxHeight: 500 }, 10)).toEqual({ minHeight: 3, maxHeight: 10 })
    expect(blockRange({ maxHeight: 5 }, 10)).toEqual({ minHeight: 1, maxHeight: 5 })
    expect(blockRange({ minHeight: 4, maxHeight: 4 }, 10)).toEqual({ minHeight: 4, maxHeight: 4 })
  })

  it('refuses minHeight above maxHeight or above the head, naming the parameter', () => {
    expect(invalidParamsMessage(() => blockRange({ minHeight: 9, maxHeight: 3 }, 10))).toBe(
      'minHeight 9 is greater than maxHeight 3',
    )
    expect(invalidParamsMessage(() => blockRange({ minHeight: 11 }, 10))).toBe(
      'minHeight 11 is above the latest committed height 10',
    )
  })

  it('any answer is within [1, head], within the request, and at most 20 long', () => {
    const optionalHeight = fc.option(fc.nat({ max: 300 }), { nil: undefined })
    fc.assert(
      fc.property(optionalHeight, optionalHeight, fc.nat({ max: 250 }), (minHeight, maxHeight, head) => {
        let range: { minHeight: number; maxHeight: number }
        try {
          range = blockRange({ minHeight, maxHeight }, head)
        } catch (error) {
          expect((error as RpcError).code).toBe(RpcErrorCode.invalidParams)
          return
        }
        const length = Math.max(0, range.maxHeight - range.minHeight + 1)
        expect(length).toBeLessThanOrEqual(blockchainLengthMax)
        if (length === 0) return
        expect(range.minHeight).toBeGreaterThanOrEqual(Math.max(1, minHeight ?? 1))
        expect(range.maxHeight).toBeLessThanOrEqual(Math.min(head, maxHeight || head))
        // The newest heights of the request are the ones listed.
        expect(range.maxHeight).toBe(Math.min(head, maxHeight || head))
      }),
      propertyParameters(1_000),
    )
  })
})
