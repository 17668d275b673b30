import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { Mempool, type MempoolLimits } from '../../node/mempool/mempool.js'
import { committedAt, mempoolEntry, senderAddress } from '../support/node-mempool-entries.js'

const roomy: MempoolLimits = { txCountMax: 100, bytesMax: 100_000, nonceGapMax: 4 }

function mempoolWith(limits: Partial<MempoolLimits> = {}): Mempool {
  return new Mempool({ ...roomy, ...limits })
}

const alwaysFrom = (nonce: number) => () => nonce
const nothingInFlight: ReadonlySet<string> = new Set()

function noncesOf(txs: readonly { readonly nonce: number }[]): number[] {
  return txs.map((tx) => tx.nonce)
}

describe('Mempool bookkeeping', () => {
  it('an empty mempool holds nothing', () => {
    const mempool = mempoolWith()
    expect(mempool.size).toBe(0)
    expect(mempool.bytes).toBe(0)
    expect(mempool.has(mempoolEntry(0, 0).hashHex)).toBe(false)
    expect(mempool.list(10)).toEqual([])
  })

  it('add counts the entry and its bytes; remove undoes exactly that', () => {
    const mempool = mempoolWith()
    const first = mempoolEntry(0, 0, { bytes: 120 })
    const second = mempoolEntry(1, 0, { bytes: 80 })
    expect(mempool.add(first, committedAt(0))).toEqual({ ok: true })
    expect(mempool.add(second, committedAt(0))).toEqual({ ok: true })
    expect(mempool.size).toBe(2)
    expect(mempool.bytes).toBe(200)
    expect(mempool.has(first.hashHex)).toBe(true)
    expect(mempool.has(second.hashHex)).toBe(true)

    mempool.remove(first.hashHex)
    expect(mempool.size).toBe(1)
    expect(mempool.bytes).toBe(80)
    expect(mempool.has(first.hashHex)).toBe(false)
    expect(mempool.has(second.hashHex)).toBe(true)
  })

  it('removing an unknown hash, or the same hash twice, changes nothing', () => {
    const mempool = mempoolWith()
    const kept = mempoolEntry(0, 0, { bytes: 50 })
    const removed = mempoolEntry(0, 1, { bytes: 70 })
    mempool.add(kept, committedAt(0))
    mempool.add(removed, committedAt(0))
    mempool.remove(removed.hashHex)
    mempool.remove(removed.hashHex)
    mempool.remove(mempoolEntry(5, 5).hashHex)
    expect(mempool.size).toBe(1)
    expect(mempool.bytes).toBe(50)
    expect(mempool.has(kept.hashHex)).toBe(true)
  })

  it('a removed nonce can be taken again by another transaction', () => {
    const mempool = mempoolWith()
    const first = mempoolEntry(0, 0, { amount: 1n })
    const replacement = mempoolEntry(0, 0, { amount: 2n })
    mempool.add(first, committedAt(0))
    mempool.remove(first.hashHex)
    expect(mempool.add(replacement, committedAt(0))).toEqual({ ok: true })
  })

  it('list returns entries oldest first, up to the limit', () => {
    const mempool = mempoolWith()
    const entries = [mempoolEntry(2, 0), mempoolEntry(0, 1), mempoolEntry(0, 0), mempoolEntry(1, 0)]
    for (const entry of entries) mempool.add(entry, committedAt(0))
    expect(mempool.list(10).map((entry) => entry.hashHex)).toEqual(entries.map((entry) => entry.hashHex))
    expect(mempool.list(2).map((entry) => entry.hashHex)).toEqual(entries.slice(0, 2).map((e) => e.hashHex))
    expect(mempool.list(0)).toEqual([])
  })
})

describe('Mempool limits', () => {
  it("refuses with 'full' once txCountMax transactions are held", () => {
    const mempool = mempoolWith({ txCountMax: 2 })
    expect(mempool.add(mempoolEntry(0, 0), committedAt(0)).ok).toBe(true)
    expect(mempool.add(mempoolEntry(1, 0), committedAt(0)).ok).toBe(true)
    expect(mempool.add(mempoolEntry(2, 0), committedAt(0))).toMatchObject({ ok: false, code: 'full' })
    expect(mempool.size).toBe(2)
  })

  it("accepts up to exactly bytesMax and refuses with 'full' one byte beyond", () => {
    const mempool = mempoolWith({ bytesMax: 300 })
    expect(mempool.add(mempoolEntry(0, 0, { bytes: 200 }), committedAt(0)).ok).toBe(true)
    expect(mempool.add(mempoolEntry(1, 0, { bytes: 101 }), committedAt(0))).toMatchObject({
      ok: false,
      code: 'full',
    })
    expect(mempool.bytes).toBe(200)
    expect(mempool.add(mempoolEntry(1, 0, { bytes: 100 }), committedAt(0)).ok).toBe(true)
    expect(mempool.bytes).toBe(300)
  })

  it('space freed by remove or pruneStale can be used again', () => {
    const mempool = mempoolWith({ txCountMax: 1 })
    const first = mempoolEntry(0, 0)
    mempool.add(first, committedAt(0))
    expect(mempool.add(mempoolEntry(1, 0), committedAt(0))).toMatchObject({ code: 'full' })
    mempool.remove(first.hashHex)
    expect(mempool.add(mempoolEntry(1, 0), committedAt(0)).ok).toBe(true)
    mempool.pruneStale(senderAddress(1), committedAt(1))
    expect(mempool.add(mempoolEntry(2, 0), committedAt(0)).ok).toBe(true)
  })
})

describe('Mempool nonce rules', () => {
  it("refuses a transaction it already holds with 'duplicate', before any other rule", () => {
    const mempool = mempoolWith({ txCountMax: 1 })
    const entry = mempoolEntry(0, 0)
    mempool.add(entry, committedAt(0))
    expect(mempool.add(entry, committedAt(0))).toMatchObject({ ok: false, code: 'duplicate' })
    // Even when the mempool is full and the nonce has since been committed.
    expect(mempool.add(entry, committedAt(5))).toMatchObject({ ok: false, code: 'duplicate' })
    expect(mempool.size).toBe(1)
  })

  it("refuses a nonce below the committed nonce with 'stale-nonce'", () => {
    const mempool = mempoolWith()
    expect(mempool.add(mempoolEntry(0, 2), committedAt(3))).toMatchObject({ ok: false, code: 'stale-nonce' })
    expect(mempool.add(mempoolEntry(0, 3), committedAt(3)).ok).toBe(true)
  })

  it("accepts up to nonceGapMax ahead of the committed nonce and refuses beyond with 'nonce-gap'", () => {
    const mempool = mempoolWith({ nonceGapMax: 4 })
    expect(mempool.add(mempoolEntry(0, 7), committedAt(3)).ok).toBe(true)
    expect(mempool.add(mempoolEntry(0, 8), committedAt(3))).toMatchObject({ ok: false, code: 'nonce-gap' })
    expect(mempool.size).toBe(1)
  })

  it("refuses a second transaction for a pending (sender, nonce) with 'nonce-taken'", () => {
    const mempool = mempoolWith()
    mempool.add(mempoolEntry(0, 0, { amount: 1n }), committedAt(0))
    expect(mempool.add(mempoolEntry(0, 0, { amount: 2n }), committedAt(0))).toMatchObject({
      ok: false,
      code: 'nonce-taken',
    })
  })

  it('nonces are per sender: another sender may use the same nonce', () => {
    const mempool = mempoolWith()
    mempool.add(mempoolEntry(0, 0), committedAt(0))
    expect(mempool.add(mempoolEntry(1, 0), committedAt(0)).ok).toBe(true)
  })

  it('every refusal carries a log for the client', () => {
    const mempool = mempoolWith({ txCountMax: 1 })
    const held = mempoolEntry(0, 1)
    mempool.add(held, committedAt(1))
    const refusals = [
      mempool.add(held, committedAt(1)),
      mempool.add(mempoolEntry(0, 0), committedAt(1)),
      mempool.add(mempoolEntry(0, 9), committedAt(1)),
      mempool.add(mempoolEntry(0, 1, { amount: 9n }), committedAt(1)),
      mempool.add(mempoolEntry(1, 0), committedAt(0)),
    ]
    expect(refusals.map((result) => (result.ok ? 'ok' : result.code))).toEqual([
      'duplicate',
      'stale-nonce',
      'nonce-gap',
      'nonce-taken',
      'full',
    ])
    for (const result of refusals) if (!result.ok) expect(result.log).not.toBe('')
  })
})

describe('Mempool.nextNonce', () => {
  it('is the committed nonce when nothing is pending', () => {
    const mempool = mempoolWith()
    expect(mempool.nextNonce(senderAddress(0), committedAt(0))).toBe(0)
    expect(mempool.nextNonce(senderAddress(0), committedAt(7))).toBe(7)
  })

  it('counts only the contiguous run of pending nonces from the committed nonce', () => {
    const mempool = mempoolWith()
    for (const nonce of [2, 3, 5, 6]) mempool.add(mempoolEntry(0, nonce), committedAt(2))
    expect(mempool.nextNonce(senderAddress(0), committedAt(2))).toBe(4)
    mempool.add(mempoolEntry(0, 4), committedAt(2))
    expect(mempool.nextNonce(senderAddress(0), committedAt(2))).toBe(7)
  })

  it('counts nothing when the committed nonce itself is not pending', () => {
    const mempool = mempoolWith()
    for (const nonce of [3, 4]) mempool.add(mempoolEntry(0, nonce), committedAt(2))
    expect(mempool.nextNonce(senderAddress(0), committedAt(2))).toBe(2)
  })

  it("is per sender: another sender's pending nonces do not count", () => {
    const mempool = mempoolWith()
    for (const nonce of [0, 1, 2]) mempool.add(mempoolEntry(0, nonce), committedAt(0))
    expect(mempool.nextNonce(senderAddress(1), committedAt(0))).toBe(0)
  })
})

describe('Mempool.take', () => {
  it('returns, per sender, the contiguous run from the expected nonce, in nonce order', () => {
    const mempool = mempoolWith()
    for (const nonce of [2, 0, 1, 4]) mempool.add(mempoolEntry(0, nonce), committedAt(0))
    const batch = mempool.take(10, alwaysFrom(0), nothingInFlight)
    expect(noncesOf(batch)).toEqual([0, 1, 2])
  })

  it('starts at expectedNonce(sender), not at the lowest pending nonce', () => {
    const mempool = mempoolWith()
    for (const nonce of [0, 1, 2, 3]) mempool.add(mempoolEntry(0, nonce), committedAt(0))
    expect(noncesOf(mempool.take(10, alwaysFrom(2), nothingInFlight))).toEqual([2, 3])
  })

  it('returns nothing for a sender whose expected nonce is not pending', () => {
    const mempool = mempoolWith()
    for (const nonce of [1, 2]) mempool.add(mempoolEntry(0, nonce), committedAt(0))
    expect(mempool.take(10, alwaysFrom(0), nothingInFlight)).toEqual([])
  })

  it('asks expectedNonce about each sender by its address', () => {
    const mempool = mempoolWith()
    for (const sender of [0, 1])
      for (const nonce of [0, 1, 2]) mempool.add(mempoolEntry(sender, nonce), committedAt(0))
    const expected = new Map([
      [toHex(senderAddress(0)), 1],
      [toHex(senderAddress(1)), 2],
    ])
    const batch = mempool.take(10, (sender) => expected.get(toHex(sender)) ?? -1, nothingInFlight)
    expect(batch.map((tx) => [tx.from[0], tx.nonce])).toEqual([
      [1, 1],
      [1, 2],
      [2, 2],
    ])
  })

  it('stops at countMax, across senders', () => {
    const mempool = mempoolWith()
    for (const sender of [0, 1, 2])
      for (const nonce of [0, 1, 2]) mempool.add(mempoolEntry(sender, nonce), committedAt(0))
    const batch = mempool.take(4, alwaysFrom(0), nothingInFlight)
    expect(batch).toHaveLength(4)
    expect(batch.map((tx) => [tx.from[0], tx.nonce])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
      [2, 0],
    ])
    expect(mempool.take(0, alwaysFrom(0), nothingInFlight)).toEqual([])
  })

  it('skips in-flight transactions but keeps walking the run after them', () => {
    const mempool = mempoolWith()
    const entries = [0, 1, 2, 3].map((nonce) => mempoolEntry(0, nonce))
    for (const entry of entries) mempool.add(entry, committedAt(0))
    const inFlight = new Set([entries[0]!.hashHex, entries[2]!.hashHex])
    expect(noncesOf(mempool.take(10, alwaysFrom(0), inFlight))).toEqual([1, 3])
  })

  it('in-flight transactions do not count toward countMax', () => {
    const mempool = mempoolWith()
    const entries = [0, 1, 2, 3].map((nonce) => mempoolEntry(0, nonce))
    for (const entry of entries) mempool.add(entry, committedAt(0))
    const inFlight = new Set([entries[0]!.hashHex, entries[1]!.hashHex])
    expect(noncesOf(mempool.take(2, alwaysFrom(0), inFlight))).toEqual([2, 3])
  })

  it('leaves the mempool as it was and gives the same batch when asked again', () => {
    const mempool = mempoolWith()
    for (const sender of [3, 1, 2])
      for (const nonce of [0, 1]) mempool.add(mempoolEntry(sender, nonce), committedAt(0))
    const first = mempool.take(5, alwaysFrom(0), nothingInFlight)
    const second = mempool.take(5, alwaysFrom(0), nothingInFlight)
    expect(second).toEqual(first)
    expect(mempool.size).toBe(6)
  })
})

describe('Mempool.pruneStale', () => {
  it("drops the sender's transactions below the committed nonce and keeps the rest", () => {
    const mempool = mempoolWith()
    const entries = [0, 1, 2, 3].map((nonce) => mempoolEntry(0, nonce, { bytes: 10 + nonce }))
    for (const entry of entries) mempool.add(entry, committedAt(0))
    const other = mempoolEntry(1, 0, { bytes: 7 })
    mempool.add(other, committedAt(0))

    const pruned = mempool.pruneStale(senderAddress(0), committedAt(2))
    expect(pruned.sort()).toEqual([entries[0]!.hashHex, entries[1]!.hashHex].sort())
    expect(entries.map((entry) => mempool.has(entry.hashHex))).toEqual([false, false, true, true])
    expect(mempool.has(other.hashHex)).toBe(true)
    expect(mempool.size).toBe(3)
    expect(mempool.bytes).toBe(12 + 13 + 7)
    expect(mempool.nextNonce(senderAddress(0), committedAt(2))).toBe(4)
  })

  it('drops every transaction of a sender that has used all its pending nonces', () => {
    const mempool = mempoolWith()
    for (const nonce of [0, 1]) mempool.add(mempoolEntry(0, nonce), committedAt(0))
    mempool.pruneStale(senderAddress(0), committedAt(5))
    expect(mempool.size).toBe(0)
    expect(mempool.bytes).toBe(0)
    expect(mempool.take(10, alwaysFrom(5), nothingInFlight)).toEqual([])
    expect(mempool.add(mempoolEntry(0, 5), committedAt(5)).ok).toBe(true)
  })

  it('does nothing for a sender with nothing pending', () => {
    const mempool = mempoolWith()
    mempool.add(mempoolEntry(0, 0), committedAt(0))
    expect(mempool.pruneStale(senderAddress(1), committedAt(9))).toEqual([])
    expect(mempool.size).toBe(1)
  })
})
