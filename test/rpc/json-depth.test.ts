import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonDepth } from '../../node/rpc/json-depth.js'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf))
  if (typeof value === 'object' && value !== null)
    return 1 + Math.max(0, ...Object.values(value).map(depthOf))
  return 0
}

describe('jsonDepth', () => {
  it.each([
    ['1', 0],
    ['"[[["', 0],
    ['[]', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['["\\"[", [[]]]', 3],
    ['["\\\\", [[]]]', 3],
  ])('%s has depth %i', (text, depth) => {
    expect(jsonDepth(bytes(text))).toBe(depth)
  })

  it('equals the nesting depth of any JSON value, strings with brackets and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        expect(jsonDepth(bytes(JSON.stringify(value)))).toBe(depthOf(value))
      }),
    )
  })

  it('stops early once past the limit', () => {
    expect(jsonDepth(bytes('['.repeat(1_000_000)), 16)).toBe(17)
  })

  it('never goes below zero on unbalanced closers', () => {
    expect(jsonDepth(bytes(']]]][[]'))).toBe(2)
  })
})
