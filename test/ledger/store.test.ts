import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from '../../crypto/hash.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { encodeBlock, encodeReceipt, encodeTx } from '../../ledger/codec/index.js'
import { blockHash, hashKey, txHash, txRoot } from '../../ledger/hashing.js'
import { type Database, seal } from '../../ledger/store/database.js'
import {
  Bucket,
  type CommitRecord,
  LedgerStore,
  StoreError,
  type StoreErrorCode,
} from '../../ledger/store/index.js'
import { type Block, type Hash, type QuorumCertificate, ReceiptCode, type Tx } from '../../ledger/types.js'

const chainId = 'store-test'
const genesisHash = sha256(new TextEncoder().encode('genesis'))

function address(n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

const alice = address(1)
const bob = address(2)
const genesisAccounts = [{ address: alice, account: { balance: 1_000n, nonce: 0 } }]
const genesisStateRoot = AccountsApp.fromAccounts(genesisAccounts).stateRoot()

function transfer(from: Uint8Array, to: Uint8Array, amount: bigint, nonce: number): Tx {
  return {
    chainId,
    from,
    nonce,
    body: { kind: 'transfer', to, amount },
    signature: new Uint8Array(64).fill(7),
  }
}

function qcFor(view: number, hash: Hash): QuorumCertificate {
  return {
    view,
    blockHash: hash,
    signers: [0, 1, 2],
    signatures: [0, 1, 2].map((signer) => new Uint8Array(64).fill(signer + 1)),
  }
}

/** Builds committed blocks the way the node will: execute with the app, then hand the results to the store. */
class ChainBuilder {
  readonly app = AccountsApp.fromAccounts(genesisAccounts)
  readonly committed = new Set<string>()
  height = 0
  parentHash: Hash = genesisHash
  parentQC: QuorumCertificate = { view: 0, blockHash: genesisHash, signers: [], signatures: [] }

  next(txs: Tx[]): CommitRecord {
    const height = this.height + 1
    const execution = this.app.executeBlock(txs, (hash) => this.committed.has(hashKey(hash)))
    const block: Block = {
      header: {
        height,
        view: height,
        parentHash: this.parentHash,
        justify: this.parentQC,
        proposer: height % 4,
        timestampMs: 1_000 + height,
        txRoot: txRoot(txs),
        stateRoot: execution.stateRoot,
      },
      txs,
    }
    const hash = blockHash(block.header)
    const qc = qcFor(height, hash)
    for (const receipt of execution.receipts) {
      if (receipt.code !== ReceiptCode.duplicate) this.committed.add(hashKey(receipt.txHash))
    }
    this.height = height
    this.parentHash = hash
    this.parentQC = qc
    return {
      block,
      hash,
      qc,
      receipts: execution.receipts,
      accounts: execution.changed,
      stateRoot: execution.stateRoot,
    }
  }
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError)
    expect((error as StoreError).code).toBe(code)
    return error as StoreError
  }
  throw new Error(`expected a StoreError '${code}'`)
}

/**
 * Writes one value behind the store's back, as another program (or a bug) would: well-formed on disk, with a
 * valid checksum, so the store's decode and key checks are what must catch it. `sealed: false` writes the
 * bytes as they are, as a disk fault would.
 */
async function writeRaw(dir: string, key: Uint8Array, value: Uint8Array, sealed = true): Promise<void> {
  const raw = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await raw.open()
  await raw.put(key, sealed ? seal(key, value) : value)
  await raw.close()
}

/** Reads one stored value as it is on disk (with its checksum). */
async function readRaw(dir: string, key: Uint8Array): Promise<Uint8Array> {
  const raw = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await raw.open()
  const value = await raw.get(key)
  await raw.close()
  if (value === undefined) throw new Error('no such key')
  return new Uint8Array(value)
}

function rawKey(bucket: Bucket, key: Uint8Array): Uint8Array {
  return Uint8Array.of(bucket, ...key)
}

describe('LedgerStore', () => {
  let dir = ''
  const opened: LedgerStore[] = []

  async function open(overrides: Partial<Parameters<typeof LedgerStore.open>[0]> = {}): Promise<LedgerStore> {
    const store = await LedgerStore.open({
      dir,
      chainId,
      genesisHash,
      genesisStateRoot,
      genesisAccounts,
      ...overrides,
    })
    opened.push(store)
    return store
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-store-'))
  })

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a new store starts at the genesis head with the genesis allocation', async () => {
    const store = await open()
    expect(store.head()).toEqual({ height: 0, hash: genesisHash, stateRoot: genesisStateRoot })
    expect(await store.stateRootAt(0)).toEqual(genesisStateRoot)
    expect(await store.allAccounts()).toEqual(genesisAccounts)
    expect(await store.blockByHeight(0)).toBeUndefined()
    expect(await store.blockByHeight(1)).toBeUndefined()
  })

  it('round-trips a committed block and everything committed with it', async () => {
    const store = await open()
    const chain = new ChainBuilder()
    const ok = transfer(alice, bob, 100n, 0)
    const failed = transfer(alice, bob, 5_000n, 1)
    const record = chain.next([ok, failed, ok])
    await store.commitBlock(record)

    expect(store.head()).toEqual({ height: 1, hash: record.hash, stateRoot: record.stateRoot })
    expect(await store.blockByHeight(1)).toEqual(record.block)
    expect(await store.blockByHash(record.hash)).toEqual(record.block)
    expect(await store.qcForBlock(record.hash)).toEqual(record.qc)
    expect(await store.stateRootAt(1)).toEqual(record.stateRoot)
    expect(await store.txLocation(txHash(ok))).toEqual({ height: 1, index: 0 })
    expect(await store.txLocation(txHash(failed))).toEqual({ height: 1, index: 1 })
    expect(await store.receipt(txHash(ok))).toEqual(record.receipts[0])
    expect((await store.receipt(txHash(failed)))?.code).toBe(ReceiptCode.insufficientFunds)
    expect(await store.hasTx(txHash(failed))).toBe(true)
    expect(await store.hasTx(sha256(new Uint8Array([1])))).toBe(false)
    expect(await store.account(alice)).toEqual({ balance: 900n, nonce: 1 })
    expect(await store.account(bob)).toEqual({ balance: 100n, nonce: 0 })
    expect(await store.allAccounts()).toEqual(chain.app.accounts())
  })

  it("a duplicate's receipt never replaces the receipt and location of the tx's committed execution", async () => {
    const store = await open()
    const chain = new ChainBuilder()
    const ok = transfer(alice, bob, 100n, 0)
    await store.commitBlock(chain.next([ok]))
    const second = chain.next([transfer(alice, bob, 1n, 1), ok])
    expect(second.receipts[1]?.code).toBe(ReceiptCode.duplicate)
    await store.commitBlock(second)
    expect(await store.txLocation(txHash(ok))).toEqual({ height: 1, index: 0 })
    expect((await store.receipt(txHash(ok)))?.code).toBe(ReceiptCode.ok)
  })

  it('refuses a block that does not extend the head, and writes nothing of it', async () => {
    const store = await open()
    const chain = new ChainBuilder()
    const first = chain.next([])
    const second = chain.next([transfer(alice, bob, 1n, 0)])
    await expectStoreError(store.commitBlock(second), 'not-sequential')
    expect(store.head().height).toBe(0)
    expect(await store.blockByHash(second.hash)).toBeUndefined()
    expect(await store.hasTx(txHash(transfer(alice, bob, 1n, 0)))).toBe(false)

    await store.commitBlock(first)
    await expectStoreError(store.commitBlock(first), 'not-sequential')

    // Right height, wrong parent: a fork of block 1 cannot be committed on top of it.
    const fork = new ChainBuilder()
    fork.next([transfer(alice, bob, 2n, 0)])
    const forkSecond = fork.next([])
    await expectStoreError(store.commitBlock(forkSecond), 'not-sequential')
    await store.commitBlock(second)
    expect(store.head().height).toBe(2)
  })

  it('refuses an inconsistent commit record before writing', async () => {
    const store = await open()
    const record = new ChainBuilder().next([transfer(alice, bob, 1n, 0)])
    await expectStoreError(store.commitBlock({ ...record, hash: sha256(record.hash) }), 'invalid-argument')
    await expectStoreError(
      store.commitBlock({ ...record, qc: qcFor(1, sha256(record.hash)) }),
      'invalid-argument',
    )
    await expectStoreError(store.commitBlock({ ...record, receipts: [] }), 'invalid-argument')
    expect(store.head().height).toBe(0)
  })

  it('serializes concurrent commits in call order', async () => {
    const store = await open()
    const chain = new ChainBuilder()
    const records = [1, 2, 3, 4, 5].map((nonce) => chain.next([transfer(alice, bob, 1n, nonce - 1)]))
    await Promise.all(records.map((record) => store.commitBlock(record)))
    expect(store.head().height).toBe(5)
    expect(await store.account(bob)).toEqual({ balance: 5n, nonce: 0 })
  })

  it('journals mempool transactions durably, and a commit removes the ones it holds in the same batch', async () => {
    const store = await open()
    const txs = [0, 1, 2].map((nonce) => transfer(alice, bob, 5n, nonce))
    const entries = txs.map((tx) => ({ hash: txHash(tx), tx }))
    await store.saveMempoolTxs(entries)
    await store.close()
    const reopened = await open()
    const byNonce = (a: Tx, b: Tx) => a.nonce - b.nonce
    expect((await reopened.mempoolTxs()).sort(byNonce)).toEqual(txs)

    const chain = new ChainBuilder()
    await reopened.commitBlock(chain.next([txs[0]!]))
    expect((await reopened.mempoolTxs()).sort(byNonce)).toEqual(txs.slice(1))
    await reopened.deleteMempoolTxs([txHash(txs[2]!)])
    expect(await reopened.mempoolTxs()).toEqual([txs[1]])
  })

  it('refuses a journaled mempool transaction stored under another hash', async () => {
    const store = await open()
    const tx = transfer(alice, bob, 5n, 0)
    await store.close()
    await writeRaw(dir, rawKey(Bucket.mempoolTx, txHash(transfer(alice, bob, 6n, 0))), encodeTx(tx))
    const reopened = await open()
    await expectStoreError(reopened.mempoolTxs(), 'corrupt')
  })

  it('reopens with the head and the data it had', async () => {
    const store = await open()
    const chain = new ChainBuilder()
    const records = [chain.next([transfer(alice, bob, 10n, 0)]), chain.next([transfer(alice, bob, 20n, 1)])]
    for (const record of records) await store.commitBlock(record)
    await store.close()

    const reopened = await open({ genesisAccounts: [] })
    const last = records[1] as CommitRecord
    expect(reopened.head()).toEqual({ height: 2, hash: last.hash, stateRoot: last.stateRoot })
    expect(await reopened.blockByHeight(1)).toEqual(records[0]?.block)
    expect(await reopened.account(bob)).toEqual({ balance: 30n, nonce: 0 })
    expect(AccountsApp.fromAccounts(await reopened.allAccounts()).stateRoot()).toEqual(last.stateRoot)
    await reopened.commitBlock(chain.next([]))
    expect(reopened.head().height).toBe(3)
  })

  it('refuses a data directory of another chain', async () => {
    const store = await open()
    await store.close()
    const otherChain = await expectStoreError(open({ chainId: 'other-chain' }), 'wrong-chain')
    expect(otherChain.message).toContain(`data directory ${dir} belongs to chain ${chainId}`)
    expect(otherChain.message).toContain('use another --home or remove it')
    await expectStoreError(open({ genesisHash: sha256(genesisHash) }), 'wrong-chain')
  })

  it('refuses a newer store schema', async () => {
    const store = await open()
    await store.close()
    await writeRaw(
      dir,
      rawKey(Bucket.meta, new TextEncoder().encode('schema-version')),
      Uint8Array.of(0, 0, 0, 2),
    )
    const error = await expectStoreError(open(), 'schema-unsupported')
    expect(error.message).toContain('newer store schema (version 2)')
  })

  it('refuses a directory that holds data but no schema version', async () => {
    await writeRaw(dir, Uint8Array.of(42), Uint8Array.of(1))
    await expectStoreError(open(), 'corrupt')
  })

  it('refuses a directory another process (or handle) has open', async () => {
    await open()
    await expectStoreError(open(), 'locked')
  })

  describe('detects corrupt values instead of returning them', () => {
    let chain: ChainBuilder
    let record: CommitRecord
    const ok = transfer(alice, bob, 100n, 0)

    beforeEach(async () => {
      const store = await open()
      chain = new ChainBuilder()
      record = chain.next([ok])
      await store.commitBlock(record)
      await store.close()
    })

    async function corruptAndReopen(key: Uint8Array, value: Uint8Array): Promise<LedgerStore> {
      await writeRaw(dir, key, value)
      return open()
    }

    it('a single flipped bit in any stored value fails its checksum', async () => {
      await (await open()).close()
      const key = rawKey(Bucket.txLocation, txHash(ok))
      const stored = await readRaw(dir, key)
      stored[0]! ^= 0x01
      await writeRaw(dir, key, stored, false)
      const store = await open()
      const error = await expectStoreError(store.txLocation(txHash(ok)), 'corrupt')
      expect(error.message).toContain('fails its checksum')
    })

    it('a block that does not decode', async () => {
      const store = await corruptAndReopen(rawKey(Bucket.blockByHash, record.hash), Uint8Array.of(1, 2, 3))
      const error = await expectStoreError(store.blockByHash(record.hash), 'corrupt')
      expect(error.message).toContain(`blockByHash ${hashKey(record.hash)}`)
      await expectStoreError(store.blockByHeight(1), 'corrupt')
    })

    it('a valid block stored under another block hash', async () => {
      const other = new ChainBuilder().next([])
      const store = await corruptAndReopen(rawKey(Bucket.blockByHash, record.hash), encodeBlock(other.block))
      const error = await expectStoreError(store.blockByHash(record.hash), 'corrupt')
      expect(error.message).toContain('block hash does not match the key')
    })

    it('a receipt for another tx, and a receipt with trailing bytes', async () => {
      const otherReceipt = { txHash: sha256(txHash(ok)), code: ReceiptCode.ok, log: '' }
      const store = await corruptAndReopen(rawKey(Bucket.receipt, txHash(ok)), encodeReceipt(otherReceipt))
      await expectStoreError(store.receipt(txHash(ok)), 'corrupt')
      await store.close()
      const padded = new Uint8Array([...encodeReceipt(record.receipts[0]!), 0])
      const again = await corruptAndReopen(rawKey(Bucket.receipt, txHash(ok)), padded)
      await expectStoreError(again.receipt(txHash(ok)), 'corrupt')
    })

    it('an account that does not decode', async () => {
      const store = await corruptAndReopen(rawKey(Bucket.account, bob), new Uint8Array(40))
      await expectStoreError(store.account(bob), 'corrupt')
      await expectStoreError(store.allAccounts(), 'corrupt')
    })

    it('a QC for another block, and a truncated tx location', async () => {
      await writeRaw(dir, rawKey(Bucket.qcByBlockHash, record.hash), new Uint8Array(0))
      const store = await corruptAndReopen(rawKey(Bucket.txLocation, txHash(ok)), new Uint8Array(11))
      await expectStoreError(store.qcForBlock(record.hash), 'corrupt')
      await expectStoreError(store.txLocation(txHash(ok)), 'corrupt')
    })

    it('a head pointer that disagrees with the height index', async () => {
      await writeRaw(
        dir,
        rawKey(Bucket.hashByHeight, new Uint8Array(8).fill(0, 0, 7).fill(1, 7)),
        genesisHash,
      )
      await expectStoreError(open(), 'corrupt')
    })
  })

  it("opens over a caller's abstract-level database (memory-level here), and refuses one that does not store bytes", async () => {
    const memory = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
    const store = await open({ database: memory })
    const record = new ChainBuilder().next([transfer(alice, bob, 1n, 0)])
    await store.commitBlock(record)
    expect(await store.blockByHeight(1)).toEqual(record.block)
    await store.close()
    expect(memory.status).toBe('closed')

    const text = new MemoryLevel() as unknown as Database
    const error = await expectStoreError(open({ database: text }), 'invalid-argument')
    expect(error.message).toContain('the store needs bytes')
  })

  it('refuses calls after close', async () => {
    const store = await open()
    await store.close()
    await expectStoreError(store.blockByHeight(1), 'closed')
    await expectStoreError(
      store.saveMempoolTxs([{ hash: new Uint8Array(32), tx: transfer(alice, bob, 1n, 0) }]),
      'closed',
    )
  })
})
