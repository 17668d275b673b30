import { describe, expect, it } from 'vitest'
import { fromHex } from '../../crypto/hex.js'
import { type Receipt, ReceiptCode } from '../../ledger/types.js'
import { CommitWaiters } from '../../node/validator/commit-waiters.js'
import { ManualClock } from '../support/manual-clock.js'

const signal = new AbortController().signal
const hashOf = (byte: string) => fromHex(byte.repeat(32), 32)
const executed = (byte: string): Receipt => ({ txHash: hashOf(byte), code: ReceiptCode.ok, log: '' })
const hexOf = (byte: string) => byte.repeat(32)

describe('waiting for a transaction to commit (broadcast_tx_commit)', () => {
  it('a commit that lands while the transaction is being looked up is not missed', async () => {
    const clock = new ManualClock(0)
    const waiters = new CommitWaiters(clock)
    const answer = waiters.waitForCommit(hexOf('aa'), {
      timeoutMs: 1_000,
      signal,
      // The store does not have it yet; the commit lands before the lookup answers.
      lookup: async () => {
        waiters.committed([executed('bb'), executed('aa')], 7)
        return undefined
      },
    })
    clock.advance(2_000)
    expect(await answer).toEqual({ height: 7, index: 1, receipt: executed('aa') })
  })

  it('answers at once when the transaction is already committed, and cancels its timer', async () => {
    const clock = new ManualClock(0)
    const waiters = new CommitWaiters(clock)
    const location = { height: 3, index: 0 }
    expect(
      await waiters.waitForCommit('aa', { timeoutMs: 1_000, signal, lookup: async () => location }),
    ).toEqual(location)
    expect(clock.pendingTimerCount).toBe(0)
  })

  it('gives up after the timeout, and on abort', async () => {
    const clock = new ManualClock(0)
    const waiters = new CommitWaiters(clock)
    const timedOut = waiters.waitForCommit('aa', { timeoutMs: 1_000, signal, lookup: async () => undefined })
    await Promise.resolve()
    clock.advance(1_000)
    expect(await timedOut).toBeUndefined()
    const abort = new AbortController()
    const aborted = waiters.waitForCommit('bb', {
      timeoutMs: 1_000,
      signal: abort.signal,
      lookup: async () => undefined,
    })
    abort.abort()
    expect(await aborted).toBeUndefined()
    // A later commit wakes nobody (and does not throw).
    waiters.committed([executed('aa'), executed('bb')], 9)
  })

  it('a duplicate of a committed transaction in a later block wakes nobody: its commit is the first one', async () => {
    const clock = new ManualClock(0)
    const waiters = new CommitWaiters(clock)
    const answer = waiters.waitForCommit(hexOf('aa'), {
      timeoutMs: 1_000,
      signal,
      lookup: async () => undefined,
    })
    await Promise.resolve()
    const duplicate: Receipt = { txHash: hashOf('aa'), code: ReceiptCode.duplicate, log: 'already committed' }
    waiters.committed([duplicate], 4)
    waiters.committed([executed('cc'), executed('aa')], 5)
    expect(await answer).toEqual({ height: 5, index: 1, receipt: executed('aa') })
  })
})
