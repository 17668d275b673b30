import { describe, expect, it } from 'vitest'
import type { Hash, Tx } from '../../ledger/types.js'
import { MempoolJournal, type MempoolJournalStore } from '../../node/mempool/journal.js'

function tx(nonce: number): { hash: Hash; tx: Tx } {
  return {
    hash: new Uint8Array(32).fill(nonce),
    tx: {
      chainId: 'journal-test',
      from: new Uint8Array(32).fill(1),
      nonce,
      body: { kind: 'transfer', to: new Uint8Array(32).fill(2), amount: 1n },
      signature: new Uint8Array(64),
    },
  }
}

/** A store whose writes complete only when the test says so, recording each batch's nonces. */
class ControlledStore implements MempoolJournalStore {
  readonly batches: number[][] = []
  readonly #finish: Array<(error?: Error) => void> = []

  saveMempoolTxs(txs: ReadonlyArray<{ hash: Hash; tx: Tx }>): Promise<void> {
    this.batches.push(txs.map((entry) => entry.tx.nonce))
    return new Promise((resolve, reject) => {
      this.#finish.push((error) => (error === undefined ? resolve() : reject(error)))
    })
  }

  /** Completes the oldest unfinished write. */
  complete(error?: Error): void {
    const finish = this.#finish.shift()
    if (finish === undefined) throw new Error('no write in flight')
    finish(error)
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('MempoolJournal', () => {
  it('groups what is admitted during a write into the next write, and resolves each append with its own batch', async () => {
    const store = new ControlledStore()
    const journal = new MempoolJournal(store)
    const done = new Set<number>()
    const append = (nonce: number) => {
      const { hash, tx: body } = tx(nonce)
      void journal.append(hash, body).then(() => done.add(nonce))
    }

    append(0)
    await settle()
    expect(store.batches).toEqual([[0]])
    for (const nonce of [1, 2, 3]) append(nonce)
    await settle()
    // One write at a time: 1..3 wait for the write of 0.
    expect(store.batches).toEqual([[0]])

    store.complete()
    await settle()
    expect([...done]).toEqual([0])
    expect(store.batches).toEqual([[0], [1, 2, 3]])
    append(4)
    await settle()
    expect(store.batches).toEqual([[0], [1, 2, 3]])

    store.complete()
    await settle()
    expect([...done].sort()).toEqual([0, 1, 2, 3])
    expect(store.batches).toEqual([[0], [1, 2, 3], [4]])
    store.complete()
    await settle()
    expect([...done].sort()).toEqual([0, 1, 2, 3, 4])
  })

  it('a burst of appends in one tick is one write, in append order, and none resolves before it lands', async () => {
    const store = new ControlledStore()
    const journal = new MempoolJournal(store)
    const done: number[] = []
    const nonces = Array.from({ length: 50 }, (_, index) => index)
    const appends = nonces.map((nonce) =>
      journal.append(tx(nonce).hash, tx(nonce).tx).then(() => done.push(nonce)),
    )
    await settle()
    expect(store.batches).toEqual([nonces])
    expect(done).toEqual([])
    store.complete()
    await Promise.all(appends)
    expect(done).toEqual(nonces)
  })

  it('a failed write rejects exactly the appends of its batch; the next batch is written', async () => {
    const store = new ControlledStore()
    const journal = new MempoolJournal(store)
    const first = journal.append(tx(0).hash, tx(0).tx)
    await settle()
    const second = journal.append(tx(1).hash, tx(1).tx)
    const third = journal.append(tx(2).hash, tx(2).tx)

    store.complete(new Error('disk full'))
    await expect(first).rejects.toThrow('disk full')
    await settle()
    expect(store.batches).toEqual([[0], [1, 2]])
    store.complete()
    await expect(Promise.all([second, third])).resolves.toEqual([undefined, undefined])
  })
})
