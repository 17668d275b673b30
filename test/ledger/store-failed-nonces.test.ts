// The store's failed-nonce index (bucket failedNonceMax): per sender, the highest nonce of a committed tx whose
// execution failed. It is written in the commit's own batch (so a power cut keeps it with the block), answered
// from memory, rebuilt from the receipts when a home lacks it or an older build committed without it, and held
// in bounded memory (a sender beyond the bound is "unknown", never a wrong answer).

import { describe, expect, it } from 'vitest'
import { sha256 } from '../../crypto/hash.js'
import { toHex } from '../../crypto/hex.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import { Bucket, bucketKey, bucketRange, MetaKey, metaKey } from '../../ledger/store/buckets.js'
import { type Database, seal } from '../../ledger/store/database.js'
import { FailedNonces } from '../../ledger/store/failed-nonces.js'
import { type CommitRecord, LedgerStore, noFailedNonce, StoreError } from '../../ledger/store/index.js'
import { encodeU64 } from '../../ledger/store/records.js'
import { type Hash, ReceiptCode, type Tx } from '../../ledger/types.js'
import { CrashableDisk } from '../support/crashable-disk.js'
import { plainBlock } from '../support/reference-chain.js'

const chainId = 'failed-nonces-test'
const genesisHash = sha256(new TextEncoder().encode('genesis'))

function address(n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

const alice = address(1)
const bob = address(2)
const carol = address(3)
const genesisAccounts = [
  { address: alice, account: { balance: 100n, nonce: 0 } },
  { address: bob, account: { balance: 100n, nonce: 0 } },
]

function transfer(from: Uint8Array, nonce: number, amount: bigint): Tx {
  return {
    chainId,
    from,
    nonce,
    body: { kind: 'transfer', to: carol, amount },
    signature: new Uint8Array(64),
  }
}

/** Executes blocks the way the committer does and hands the results to the store. */
class Chain {
  readonly app = AccountsApp.fromAccounts(genesisAccounts)
  readonly committed = new Set<string>()
  height = 0
  parentHash: Hash = genesisHash

  next(txs: Tx[]): CommitRecord {
    const height = this.height + 1
    const execution = this.app.executeBlock(txs, (hash) => this.committed.has(toHex(hash)))
    for (const receipt of execution.receipts)
      if (receipt.code !== ReceiptCode.duplicate) this.committed.add(toHex(receipt.txHash))
    const block = plainBlock(height, this.parentHash, txs, execution.stateRoot)
    const hash = blockHash(block.header)
    this.height = height
    this.parentHash = hash
    return {
      block,
      hash,
      qc: { view: height, blockHash: hash, signers: [], signatures: [] },
      receipts: execution.receipts,
      accounts: execution.changed,
      stateRoot: execution.stateRoot,
    }
  }
}

function open(disk: CrashableDisk): Promise<LedgerStore> {
  return LedgerStore.open({
    dir: '/sim/v0/data',
    database: disk.database('data'),
    chainId,
    genesisHash,
    genesisStateRoot: AccountsApp.fromAccounts(genesisAccounts).stateRoot(),
    genesisAccounts,
  })
}

/** Changes the database behind the store's back (the store is closed), as another build would have. */
async function behindTheStore(disk: CrashableDisk, change: (db: Database) => Promise<void>): Promise<void> {
  const db = disk.database('data')
  await db.open()
  await change(db)
  await db.close()
}

/** A chain with failures: alice fails at 1 then at 3 (over her balance), bob at 0, and a duplicate. */
async function chainWithFailures(store: LedgerStore): Promise<Chain> {
  const chain = new Chain()
  const ok = transfer(alice, 0, 10n)
  await store.commitBlock(chain.next([ok, transfer(alice, 1, 500n), transfer(bob, 0, 500n)]))
  // alice's nonce is 1: nonce 3 fails (bad nonce), a lower failure at 1 again must not lower the mark.
  await store.commitBlock(chain.next([transfer(alice, 3, 1n), transfer(alice, 1, 600n), ok]))
  return chain
}

describe('the failed-nonce index of the ledger store', () => {
  it('records the highest failed nonce per sender with the commit; noFailedNonce for the rest', async () => {
    const disk = new CrashableDisk()
    const store = await open(disk)
    expect(store.failedNonceMax(alice)).toBe(noFailedNonce)
    const chain = await chainWithFailures(store)
    expect(chain.app.account(alice).nonce).toBe(1)
    expect(store.failedNonceMax(alice)).toBe(3)
    expect(store.failedNonceMax(bob)).toBe(0)
    expect(store.failedNonceMax(carol)).toBe(noFailedNonce)
    // Every committed tx is below its sender's nonce or at or below its failed nonce: the rule memory uses.
    for (const hashHex of chain.committed) {
      const location = await store.txLocation(Uint8Array.from(Buffer.from(hashHex, 'hex')))
      const tx = (await store.blockByHeight(location!.height))!.txs[location!.index]!
      const failedMax = store.failedNonceMax(tx.from)!
      expect(tx.nonce < chain.app.account(tx.from).nonce || tx.nonce <= failedMax, hashHex).toBe(true)
    }
    await store.close()
  })

  it('is in the commit batch: a power cut right after a commit keeps it, and a reopen loads it', async () => {
    const disk = new CrashableDisk()
    const store = await open(disk)
    await chainWithFailures(store)
    disk.crash()
    const reopened = await open(disk)
    expect(reopened.head().height).toBe(2)
    expect(reopened.failedNonceMax(alice)).toBe(3)
    expect(reopened.failedNonceMax(bob)).toBe(0)
    await reopened.close()
  })

  it('is rebuilt from the receipts for a home written without it', async () => {
    const disk = new CrashableDisk()
    const store = await open(disk)
    await chainWithFailures(store)
    await store.close()
    await behindTheStore(disk, async (db) => {
      const keys = await db.keys(bucketRange(Bucket.failedNonceMax)).all()
      expect(keys.length).toBe(2)
      await db.batch([
        ...keys.map((key) => ({ type: 'del' as const, key })),
        { type: 'del', key: metaKey(MetaKey.failedNonceMaxHeight) },
      ])
    })
    const reopened = await open(disk)
    expect(reopened.failedNonceMax(alice)).toBe(3)
    expect(reopened.failedNonceMax(bob)).toBe(0)
    await reopened.close()
    // The rebuild was written: the next open finds the bucket complete.
    await behindTheStore(disk, async (db) => {
      expect((await db.keys(bucketRange(Bucket.failedNonceMax)).all()).length).toBe(2)
    })
  })

  it('is rebuilt when a build without it committed since (its height mark is behind the head)', async () => {
    const disk = new CrashableDisk()
    const store = await open(disk)
    await chainWithFailures(store)
    await store.close()
    await behindTheStore(disk, async (db) => {
      // As if block 2 had been committed by such a build: the mark says 1, alice's entry holds block 1's failure.
      const markKey = metaKey(MetaKey.failedNonceMaxHeight)
      const aliceKey = bucketKey(Bucket.failedNonceMax, alice)
      await db.batch([
        { type: 'put', key: markKey, value: seal(markKey, encodeU64(1, 'height')) },
        { type: 'put', key: aliceKey, value: seal(aliceKey, encodeU64(1, 'nonce')) },
      ])
    })
    const reopened = await open(disk)
    expect(reopened.failedNonceMax(alice)).toBe(3)
    await reopened.close()
  })

  it('a failed receipt whose tx cannot be found makes the rebuild refuse the store as corrupt', async () => {
    const disk = new CrashableDisk()
    const store = await open(disk)
    await chainWithFailures(store)
    await store.close()
    await behindTheStore(disk, async (db) => {
      await db.batch([
        { type: 'del', key: metaKey(MetaKey.failedNonceMaxHeight) },
        { type: 'del', key: bucketKey(Bucket.txLocation, txHash(transfer(bob, 0, 500n))) },
      ])
    })
    await expect(open(disk)).rejects.toSatisfy(
      (error) =>
        error instanceof StoreError && error.code === 'corrupt' && /no tx location/.test(error.message),
    )
  })
})

describe('FailedNonces in bounded memory', () => {
  const senders = [address(1), address(2), address(3)]

  it('beyond the bound a sender not held is unknown; held senders stay exact and are still raised', async () => {
    const failedNonces = new FailedNonces(2)
    const stored = new Map<string, number>()
    const raise = async (sender: Uint8Array, nonce: number) => {
      const tx = transfer(sender, nonce, 1n)
      const raised = await failedNonces.raisedBy(
        [tx],
        [{ txHash: txHash(tx), code: ReceiptCode.insufficientFunds, log: '' }],
        async (address) => stored.get(toHex(address)),
      )
      for (const entry of raised) stored.set(toHex(entry.address), entry.nonce)
      failedNonces.record(raised)
      return raised.map((entry) => entry.nonce)
    }
    expect(await raise(senders[0]!, 4)).toEqual([4])
    expect(await raise(senders[1]!, 2)).toEqual([2])
    expect(failedNonces.nonceMax(senders[2]!)).toBe(noFailedNonce)
    expect(await raise(senders[2]!, 7)).toEqual([7])
    // The third sender did not fit: memory no longer knows who failed, only what it holds.
    expect(failedNonces.nonceMax(senders[2]!)).toBeUndefined()
    expect(failedNonces.nonceMax(address(9))).toBeUndefined()
    expect(failedNonces.nonceMax(senders[0]!)).toBe(4)
    expect(await raise(senders[0]!, 5)).toEqual([5])
    expect(failedNonces.nonceMax(senders[0]!)).toBe(5)
    // A sender not held is compared with what is stored: a lower failure does not lower it.
    expect(await raise(senders[2]!, 6)).toEqual([])
    expect(await raise(senders[2]!, 8)).toEqual([8])
  })
})
