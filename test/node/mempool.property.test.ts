// The Mempool against a model: random sequences of add / remove / pruneStale / take, checking after every
// step that the bookkeeping (size, bytes, membership, nextNonce) equals the model's, that add answers exactly
// as the rules say, and that take yields only a valid batch. Seeded (QUORATE_SEED overrides); fast-check
// prints the seed and path of any counterexample.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Tx } from '../../ledger/types.js'
import { Mempool, type MempoolEntry, type MempoolLimits } from '../../node/mempool/mempool.js'
import { propertyParameters } from '../support/arbitraries.js'
import { committedAt, mempoolEntry, senderAddress } from '../support/node-mempool-entries.js'

const limits: MempoolLimits = { txCountMax: 8, bytesMax: 400, nonceGapMax: 3 }
const senderCount = 3

type Op =
  | {
      readonly kind: 'add'
      readonly sender: number
      readonly nonceOffset: number
      readonly amount: bigint
      readonly bytes: number
    }
  | { readonly kind: 'remove'; readonly pick: number }
  | { readonly kind: 'prune'; readonly sender: number; readonly advance: number }
  | {
      readonly kind: 'take'
      readonly countMax: number
      readonly inFlightMask: number
      readonly expectedOffsets: readonly number[]
    }

const arbitrarySender = fc.integer({ min: 0, max: senderCount - 1 })

const arbitraryOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      sender: arbitrarySender,
      // From two below the committed nonce (stale) to one past the gap window (nonce-gap).
      nonceOffset: fc.integer({ min: -2, max: limits.nonceGapMax + 1 }),
      amount: fc.constantFrom(1n, 2n),
      bytes: fc.integer({ min: 1, max: 120 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(10) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('prune' as const),
      sender: arbitrarySender,
      advance: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('take' as const),
      countMax: fc.integer({ min: 0, max: 10 }),
      inFlightMask: fc.nat(255),
      expectedOffsets: fc.array(fc.integer({ min: 0, max: 2 }), {
        minLength: senderCount,
        maxLength: senderCount,
      }),
    }),
  },
)

/** What the mempool should hold: entries by hash, oldest first, and each sender's committed nonce. */
class Model {
  readonly held = new Map<string, MempoolEntry>()
  readonly committed: number[] = new Array(senderCount).fill(0)

  bytes(): number {
    let total = 0
    for (const entry of this.held.values()) total += entry.bytes
    return total
  }

  heldNonce(sender: number, nonce: number): MempoolEntry | undefined {
    for (const entry of this.held.values()) {
      if (entry.tx.from[0] === sender + 1 && entry.tx.nonce === nonce) return entry
    }
    return undefined
  }

  expectedAdd(entry: MempoolEntry, sender: number): string {
    const committed = this.committed[sender]!
    if (this.held.has(entry.hashHex)) return 'duplicate'
    if (entry.tx.nonce < committed) return 'stale-nonce'
    if (entry.tx.nonce > committed + limits.nonceGapMax) return 'nonce-gap'
    if (this.heldNonce(sender, entry.tx.nonce) !== undefined) return 'nonce-taken'
    if (this.held.size >= limits.txCountMax || this.bytes() + entry.bytes > limits.bytesMax) return 'full'
    return 'ok'
  }

  nextNonce(sender: number): number {
    let nonce = this.committed[sender]!
    while (this.heldNonce(sender, nonce) !== undefined) nonce++
    return nonce
  }
}

function senderOf(tx: Tx): number {
  return tx.from[0]! - 1
}

function checkBookkeeping(mempool: Mempool, model: Model): void {
  expect(mempool.size).toBe(model.held.size)
  expect(mempool.bytes).toBe(model.bytes())
  for (const hashHex of model.held.keys()) expect(mempool.has(hashHex)).toBe(true)
  expect(mempool.list(limits.txCountMax + 1).map((entry) => entry.hashHex)).toEqual([...model.held.keys()])
  for (let sender = 0; sender < senderCount; sender++) {
    expect(mempool.nextNonce(senderAddress(sender), committedAt(model.committed[sender]!))).toBe(
      model.nextNonce(sender),
    )
  }
}

function checkTake(mempool: Mempool, model: Model, op: Extract<Op, { kind: 'take' }>): void {
  const heldHashes = [...model.held.keys()]
  const inFlight = new Set(heldHashes.filter((_, i) => (op.inFlightMask >> i) & 1))
  const expectedNonce = (sender: number) => model.committed[sender]! + op.expectedOffsets[sender]!
  const batch = mempool.take(op.countMax, (address) => expectedNonce(address[0]! - 1), inFlight)

  expect(batch.length).toBeLessThanOrEqual(op.countMax)
  const returnedBySender = new Map<number, number[]>()
  for (const tx of batch) {
    const sender = senderOf(tx)
    const entry = model.heldNonce(sender, tx.nonce)
    expect(entry?.tx).toBe(tx)
    expect(inFlight.has(entry!.hashHex)).toBe(false)
    const nonces = returnedBySender.get(sender) ?? []
    // Never two txs of one sender with one nonce, never out of order.
    if (nonces.length > 0) expect(tx.nonce).toBeGreaterThan(nonces[nonces.length - 1]!)
    nonces.push(tx.nonce)
    returnedBySender.set(sender, nonces)
    // Every nonce from the expected one up to this tx's is pending (returned or in flight): no gaps.
    expect(tx.nonce).toBeGreaterThanOrEqual(expectedNonce(sender))
    for (let nonce = expectedNonce(sender); nonce < tx.nonce; nonce++) {
      expect(model.heldNonce(sender, nonce)).toBeDefined()
    }
  }
  // Below countMax, nothing eligible is left out: per sender, every pending, not-in-flight nonce of the
  // contiguous run from the expected nonce.
  if (batch.length < op.countMax) {
    for (let sender = 0; sender < senderCount; sender++) {
      const eligible: number[] = []
      for (let nonce = expectedNonce(sender); ; nonce++) {
        const entry = model.heldNonce(sender, nonce)
        if (entry === undefined) break
        if (!inFlight.has(entry.hashHex)) eligible.push(nonce)
      }
      expect(returnedBySender.get(sender) ?? []).toEqual(eligible)
    }
  }
}

function apply(mempool: Mempool, model: Model, op: Op): void {
  switch (op.kind) {
    case 'add': {
      const nonce = Math.max(0, model.committed[op.sender]! + op.nonceOffset)
      const entry = mempoolEntry(op.sender, nonce, { amount: op.amount, bytes: op.bytes })
      const expected = model.expectedAdd(entry, op.sender)
      const result = mempool.add(entry, committedAt(model.committed[op.sender]!))
      expect(result.ok ? 'ok' : result.code).toBe(expected)
      if (result.ok) model.held.set(entry.hashHex, entry)
      return
    }
    case 'remove': {
      const hashes = [...model.held.keys()]
      // Past the end: a hash the mempool does not hold.
      const hashHex = hashes[op.pick] ?? mempoolEntry(senderCount, op.pick).hashHex
      mempool.remove(hashHex)
      model.held.delete(hashHex)
      return
    }
    case 'prune': {
      const committed = model.committed[op.sender]! + op.advance
      model.committed[op.sender] = committed
      mempool.pruneStale(senderAddress(op.sender), committedAt(committed))
      for (const [hashHex, entry] of model.held) {
        if (senderOf(entry.tx) === op.sender && entry.tx.nonce < committed) model.held.delete(hashHex)
      }
      return
    }
    case 'take':
      checkTake(mempool, model, op)
      return
  }
}

describe('Mempool against a model', () => {
  it('size, bytes, membership and nextNonce always match the held entries; add follows the rules; take yields gap-free, ordered, per-sender runs', () => {
    fc.assert(
      fc.property(fc.array(arbitraryOp, { minLength: 1, maxLength: 60 }), (ops) => {
        const mempool = new Mempool(limits)
        const model = new Model()
        for (const op of ops) {
          apply(mempool, model, op)
          checkBookkeeping(mempool, model)
        }
      }),
      propertyParameters(300),
    )
  })
})
