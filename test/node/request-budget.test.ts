// The per-peer sync request budget: one request outstanding per peer, and head probes and block-sync batches
// (priority) before single-block fetches (bulk). Found by the simulator (seed 26, n = 4): a replica 100 blocks
// behind fetched parent after parent back to back, every head probe found each peer's slot taken, and it never
// started the block sync that catches it up.

import { describe, expect, it } from 'vitest'
import { blockFetchAttemptTimeoutMs } from '../../ledger/limits.js'
import { PeerRequestBudget, priorityReservationMs } from '../../node/sync/request-budget.js'
import { ManualClock } from '../support/manual-clock.js'

describe('PeerRequestBudget', () => {
  it('holds one request per peer until its reply or its timeout', () => {
    const clock = new ManualClock(0)
    const budget = new PeerRequestBudget(clock)
    const lease = budget.tryTake('a', 1_000)
    expect(lease).toBeDefined()
    expect(budget.tryTake('a', 1_000)).toBeUndefined()
    expect(budget.tryTake('b', 1_000)).toBeDefined()
    lease!.release()
    expect(budget.tryTake('a', 1_000)).toBeDefined()
  })

  it('a refused probe keeps fetches off the peer until the probe has had the slot', () => {
    const clock = new ManualClock(0)
    const budget = new PeerRequestBudget(clock)
    const fetch = budget.tryTake('a', blockFetchAttemptTimeoutMs, 'bulk')
    expect(fetch).toBeDefined()
    expect(budget.tryTake('a', 1_000, 'priority')).toBeUndefined()
    fetch!.release()
    // The fetcher asks again at once (the reply to its last fetch named the next parent): it must wait.
    expect(budget.tryTake('a', blockFetchAttemptTimeoutMs, 'bulk')).toBeUndefined()
    // Other peers are not reserved.
    expect(budget.tryTake('b', blockFetchAttemptTimeoutMs, 'bulk')).toBeDefined()
    const probe = budget.tryTake('a', 1_000, 'priority')
    expect(probe).toBeDefined()
    probe!.release()
    // Once the probe had its turn, fetches go on.
    expect(budget.tryTake('a', blockFetchAttemptTimeoutMs, 'bulk')).toBeDefined()
  })

  it('a probe that finds another priority request in the slot reserves nothing', () => {
    const clock = new ManualClock(0)
    const budget = new PeerRequestBudget(clock)
    const batch = budget.tryTake('a', 1_000, 'priority')
    expect(budget.tryTake('a', 1_000, 'priority')).toBeUndefined()
    batch!.release()
    expect(budget.tryTake('a', blockFetchAttemptTimeoutMs, 'bulk')).toBeDefined()
  })

  it('a reservation nobody uses lapses', () => {
    const clock = new ManualClock(0)
    const budget = new PeerRequestBudget(clock)
    budget.tryTake('a', blockFetchAttemptTimeoutMs, 'bulk')
    expect(budget.tryTake('a', 1_000, 'priority')).toBeUndefined()
    clock.advance(priorityReservationMs + 1)
    expect(budget.tryTake('a', blockFetchAttemptTimeoutMs, 'bulk')).toBeDefined()
  })
})
