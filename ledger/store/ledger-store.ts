// The ledger's persistent store: committed blocks with their QCs, the tx index, receipts, application state,
// state roots, pending blocks, the mempool journal and evidence, over one database (LevelDB in `<home>/data`).
// The safety state lives apart, in the SafetyStore, so that this directory can be moved aside and re-synced
// from peers without forgetting what this validator signed. Writes go through one queue (see write-queue.ts).

import { bytesEqual, toHex } from '../../crypto/hex.js'
import { type EvidenceKey, evidenceKeyOf, evidenceProblem } from '../codec/index.js'
import { blockHash, txHash } from '../hashing.js'
import type {
  Account,
  Block,
  EvidenceRecord,
  Hash,
  QuorumCertificate,
  Receipt,
  SafetyState,
  TimeoutCertificate,
  Tx,
} from '../types.js'
import { ReceiptCode } from '../types.js'
import { Bucket, bucketKey, bucketRange, heightBytes } from './buckets.js'
import {
  type Database,
  type DatabaseLocation,
  openDatabase,
  type PutOperation,
  readKeys,
  writeBatch,
} from './database.js'
import { StoreError } from './errors.js'
import { FailedNonces } from './failed-nonces.js'
import type { Head, TxLocation } from './records.js'
import { createRepositories, type Repositories } from './repositories.js'
import {
  assertIdentityArguments,
  checkIdentity,
  creationBatch,
  type StoreIdentity,
} from './store-identity.js'
import { WriteQueue } from './write-queue.js'

/** The layout version of the whole key space. A new layout gets a new number and a migration, never a reuse. */
export const schemaVersionCurrent = 1

const hashBytes = 32

export interface AccountRecord {
  readonly address: Uint8Array
  readonly account: Account
}

/** `dir` is the data directory (`<home>/data`); see DatabaseLocation for `database`. */
export interface LedgerStoreOptions extends DatabaseLocation {
  readonly chainId: string
  readonly genesisHash: Hash
  /** The genesis block's state root: the head's state root before the first commit. */
  readonly genesisStateRoot: Hash
  /** The genesis allocation, written when the store is created (ignored when it already exists). */
  readonly genesisAccounts?: readonly AccountRecord[]
}

/** What a home written before the safety database keeps in the ledger database (see Bucket.safety). */
export interface RetiredSafety {
  readonly safety: SafetyState | null
  readonly highestTC: TimeoutCertificate | null
}

export interface CommitRecord {
  readonly block: Block
  /** blockHash(block.header). */
  readonly hash: Hash
  /** A QC that certifies this block. */
  readonly qc: QuorumCertificate
  /** One receipt per tx, in block order. */
  readonly receipts: readonly Receipt[]
  /** The accounts the block changed, with their values after executing it. */
  readonly accounts: readonly AccountRecord[]
  /** The state root after executing the block. */
  readonly stateRoot: Hash
}

export class LedgerStore {
  readonly #db: Database
  readonly #repos: Repositories
  readonly #dir: string
  #head: Head
  readonly #failedNonces: FailedNonces
  readonly #writes = new WriteQueue()
  #closed = false

  private constructor(
    db: Database,
    repos: Repositories,
    dir: string,
    head: Head,
    failedNonces: FailedNonces,
  ) {
    this.#db = db
    this.#repos = repos
    this.#dir = dir
    this.#head = head
    this.#failedNonces = failedNonces
  }

  /**
   * Opens the store in `opts.dir` (or over `opts.database`), creating it for this chain if the database is
   * empty. Refuses (StoreError) a database written by a newer or unknown schema, one that belongs to another
   * chain, one locked by another process, and one whose head pointer disagrees with its indexes.
   */
  static async open(opts: LedgerStoreOptions): Promise<LedgerStore> {
    assertIdentityArguments(opts.chainId, opts.genesisHash)
    assertBytes32(opts.genesisStateRoot, 'genesisStateRoot')
    const db = await openDatabase(opts)
    try {
      const repos = createRepositories(db)
      const head = await LedgerStore.#prepare(db, repos, opts)
      const failedNonces = await FailedNonces.load(db, repos, head.height)
      return new LedgerStore(db, repos, opts.dir, head, failedNonces)
    } catch (error) {
      await db.close().catch(() => {})
      throw error
    }
  }

  static async #prepare(db: Database, repos: Repositories, opts: LedgerStoreOptions): Promise<Head> {
    const identity: StoreIdentity = {
      description: `data directory ${opts.dir}`,
      chainId: opts.chainId,
      genesisHash: opts.genesisHash,
      schemaVersion: schemaVersionCurrent,
    }
    if ((await checkIdentity(db, repos, identity)) === 'empty')
      return LedgerStore.#create(db, repos, opts, identity)
    const head = await repos.head.get(null)
    if (head === undefined) throw new StoreError('corrupt', `data directory ${opts.dir} lacks its head`)
    await LedgerStore.#checkHead(repos, opts, head)
    return head
  }

  static async #create(
    db: Database,
    repos: Repositories,
    opts: LedgerStoreOptions,
    identity: StoreIdentity,
  ): Promise<Head> {
    const head: Head = { height: 0, hash: opts.genesisHash.slice(), stateRoot: opts.genesisStateRoot.slice() }
    const contents: PutOperation[] = [
      repos.stateRootByHeight.put(0, opts.genesisStateRoot),
      repos.head.put(null, head),
      repos.failedNonceMaxHeight.put(null, 0),
    ]
    for (const { address, account } of opts.genesisAccounts ?? []) {
      assertBytes32(address, 'genesisAccounts[].address')
      contents.push(repos.account.put(address, account))
    }
    await writeBatch(db, creationBatch(repos, identity, contents), true)
    return head
  }

  /** The head pointer must agree with the height indexes it was written with, in the same batch. */
  static async #checkHead(repos: Repositories, opts: LedgerStoreOptions, head: Head): Promise<void> {
    const hash = head.height === 0 ? opts.genesisHash : await repos.hashByHeight.get(head.height)
    const stateRoot = await repos.stateRootByHeight.get(head.height)
    if (hash === undefined || !bytesEqual(hash, head.hash)) {
      throw new StoreError(
        'corrupt',
        `data directory ${opts.dir}: head block hash at ${head.height} disagrees`,
      )
    }
    if (stateRoot === undefined || !bytesEqual(stateRoot, head.stateRoot)) {
      throw new StoreError(
        'corrupt',
        `data directory ${opts.dir}: head state root at ${head.height} disagrees`,
      )
    }
  }

  /** Waits for pending writes, then closes the database. Later calls throw StoreError 'closed'. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#writes.drained()
    await this.#db.close()
  }

  /** The last committed block (height 0 and the genesis hash and state root before the first commit). */
  head(): Head {
    return {
      height: this.#head.height,
      hash: this.#head.hash.slice(),
      stateRoot: this.#head.stateRoot.slice(),
    }
  }

  /**
   * The safety state and highest TC that homes written before the safety database kept here (see
   * Bucket.safety): SafetyStore.open moves them over. Null where there is none.
   */
  async retiredSafety(): Promise<RetiredSafety> {
    this.#assertOpen()
    return {
      safety: (await this.#repos.retiredSafety.get(null)) ?? null,
      highestTC: (await this.#repos.retiredHighestTC.get(null)) ?? null,
    }
  }

  /** Forgets the retired safety entries once the safety database holds them durably (not synced). */
  async deleteRetiredSafety(): Promise<void> {
    this.#assertOpen()
    const operations = [this.#repos.retiredSafety.del(null), this.#repos.retiredHighestTC.del(null)]
    await this.#writes.enqueue(() => writeBatch(this.#db, operations, false))
  }

  /**
   * Appends the next block in one atomic, synced batch: the block, height → hash, its QC, the locations and
   * receipts of its txs (except duplicates, whose hash is already committed), the changed accounts, the state
   * root and the head pointer. Throws StoreError 'not-sequential' unless the block extends the head.
   */
  async commitBlock(record: CommitRecord): Promise<void> {
    this.#assertOpen()
    this.#assertCommitRecord(record)
    await this.#writes.enqueue(async () => {
      const { block, hash, stateRoot } = record
      const { height, parentHash } = block.header
      if (height !== this.#head.height + 1 || !bytesEqual(parentHash, this.#head.hash)) {
        throw new StoreError(
          'not-sequential',
          `block ${toHex(hash)} at height ${height} does not extend the head (height ${this.#head.height}, ` +
            `hash ${toHex(this.#head.hash)})`,
        )
      }
      const repos = this.#repos
      const head: Head = { height, hash: hash.slice(), stateRoot: stateRoot.slice() }
      const operations: PutOperation[] = [
        repos.blockByHash.put(hash, block),
        repos.hashByHeight.put(height, hash),
        repos.qcByBlockHash.put(hash, record.qc),
      ]
      record.receipts.forEach((receipt, index) => {
        if (receipt.code === ReceiptCode.duplicate) return
        operations.push(repos.txLocation.put(receipt.txHash, { height, index }))
        operations.push(repos.receipt.put(receipt.txHash, receipt))
      })
      for (const { address, account } of record.accounts) operations.push(repos.account.put(address, account))
      // Committed transactions leave the mempool journal in the same batch.
      for (const tx of block.txs) operations.push(repos.mempoolTx.del(txHash(tx)))
      const failedNoncesRaised = await this.#failedNonces.raisedBy(block.txs, record.receipts, (address) =>
        repos.failedNonceMax.get(address),
      )
      for (const { address, nonce } of failedNoncesRaised)
        operations.push(repos.failedNonceMax.put(address, nonce))
      operations.push(repos.failedNonceMaxHeight.put(null, height))
      operations.push(repos.stateRootByHeight.put(height, stateRoot))
      operations.push(repos.head.put(null, head))
      // Pending blocks at or below the new head are committed now, or on a fork that can never commit.
      const pendingRange = {
        gte: bucketKey(Bucket.pendingBlock, new Uint8Array(0)),
        lt: bucketKey(Bucket.pendingBlock, heightBytes(height + 1)),
      }
      for (const key of await readKeys(this.#db, pendingRange)) operations.push({ type: 'del', key })
      await writeBatch(this.#db, operations, true)
      this.#head = head
      this.#failedNonces.record(failedNoncesRaised)
    })
  }

  /**
   * Keeps a block of the consensus block tree (not yet committed) so that a restart, even of every validator at
   * once, does not lose the blocks that the highest QCs certify. Synced: the vote that follows is synced in the
   * safety database, and a sync there does not make this database's earlier writes durable.
   */
  async savePendingBlock(block: Block, hash: Hash): Promise<void> {
    this.#assertOpen()
    if (block.header.height <= this.#head.height) return
    const operation = this.#repos.pendingBlock.put({ height: block.header.height, hash }, block)
    await this.#writes.enqueue(() => writeBatch(this.#db, [operation], true))
  }

  /**
   * Journals transactions admitted to the mempool, in one synced batch: once this resolves, an acknowledged
   * transaction survives a crash of the process or the machine (it is re-admitted on start).
   */
  async saveMempoolTxs(txs: ReadonlyArray<{ readonly hash: Hash; readonly tx: Tx }>): Promise<void> {
    this.#assertOpen()
    if (txs.length === 0) return
    const operations = txs.map(({ hash, tx }) => this.#repos.mempoolTx.put(hash, tx))
    await this.#writes.enqueue(() => writeBatch(this.#db, operations, true))
  }

  /** Forgets journaled mempool transactions that left the mempool without being committed (not synced). */
  async deleteMempoolTxs(hashes: readonly Hash[]): Promise<void> {
    this.#assertOpen()
    if (hashes.length === 0) return
    const operations = hashes.map((hash) => this.#repos.mempoolTx.del(hash))
    await this.#writes.enqueue(() => writeBatch(this.#db, operations, false))
  }

  /** The journaled mempool transactions, by hash. */
  async mempoolTxs(): Promise<Tx[]> {
    this.#assertOpen()
    return (await this.#repos.mempoolTx.entries()).map(({ value }) => value)
  }

  /** The saved pending blocks above the head, in height order. */
  async pendingBlocks(): Promise<Block[]> {
    this.#assertOpen()
    const entries = await this.#repos.pendingBlock.entries()
    return entries.map(({ value }) => value).filter((block) => block.header.height > this.#head.height)
  }

  /** The committed block at `height`; undefined above the head, and at 0 (genesis is rebuilt from its file). */
  async blockByHeight(height: number): Promise<Block | undefined> {
    this.#assertOpen()
    assertHeight(height)
    if (height === 0 || height > this.#head.height) return undefined
    const hash = await this.#repos.hashByHeight.get(height)
    if (hash === undefined)
      throw new StoreError('corrupt', `no block hash stored for committed height ${height}`)
    const block = await this.#repos.blockByHash.get(hash)
    if (block === undefined || block.header.height !== height) {
      throw new StoreError(
        'corrupt',
        `height ${height} points to block ${toHex(hash)}, which is not stored there`,
      )
    }
    return block
  }

  async blockByHash(hash: Hash): Promise<Block | undefined> {
    this.#assertOpen()
    return this.#repos.blockByHash.get(hash)
  }

  /** The QC stored with a committed block (it certifies that block). */
  async qcForBlock(hash: Hash): Promise<QuorumCertificate | undefined> {
    this.#assertOpen()
    return this.#repos.qcByBlockHash.get(hash)
  }

  /** The state root after executing the block at `height` (the genesis state root at 0). */
  async stateRootAt(height: number): Promise<Hash | undefined> {
    this.#assertOpen()
    assertHeight(height)
    return this.#repos.stateRootByHeight.get(height)
  }

  async txLocation(hash: Hash): Promise<TxLocation | undefined> {
    this.#assertOpen()
    return this.#repos.txLocation.get(hash)
  }

  /** The receipt of the tx's one committed execution. */
  async receipt(hash: Hash): Promise<Receipt | undefined> {
    this.#assertOpen()
    return this.#repos.receipt.get(hash)
  }

  /** Whether a tx with this hash is committed (duplicates do not count: they never execute). */
  async hasTx(hash: Hash): Promise<boolean> {
    this.#assertOpen()
    return this.#repos.txLocation.has(hash)
  }

  /**
   * From memory: the highest nonce among `address`'s committed txs whose execution failed (which leaves the
   * sender's nonce as it was), noFailedNonce (-1) if none did; undefined when memory cannot tell (see
   * failed-nonces.ts). With the sender's committed nonce it tells, without hasTx, that a tx was never committed.
   */
  failedNonceMax(address: Uint8Array): number | undefined {
    return this.#failedNonces.nonceMax(address)
  }

  async account(address: Uint8Array): Promise<Account | undefined> {
    this.#assertOpen()
    return this.#repos.account.get(address)
  }

  /** Every stored account, sorted by address: the application state to rebuild the app from on start. */
  async allAccounts(): Promise<AccountRecord[]> {
    this.#assertOpen()
    const entries = await this.#repos.account.entries()
    return entries.map(({ keyBytes, value }) => ({ address: keyBytes.slice(), account: value }))
  }

  /**
   * Keeps evidence of misbehaviour, once per (kind, view, offender): resolves true if it was stored, false if
   * evidence with that key is already stored (the first one stays). Not synced: evidence is not needed for
   * safety, and a process crash does not lose LevelDB writes. Throws StoreError 'invalid-argument' for a pair
   * that is not evidence by its shape (the caller verifies the signatures).
   */
  async saveEvidence(evidence: EvidenceRecord): Promise<boolean> {
    this.#assertOpen()
    const problem = evidenceProblem(evidence)
    if (problem !== undefined) throw new StoreError('invalid-argument', `evidence: ${problem}`)
    const key = evidenceKeyOf(evidence)
    const operation = this.#repos.evidence.put(key, evidence)
    let stored = false
    // The check is inside the write queue, so two saves of one key cannot both see it missing.
    await this.#writes.enqueue(async () => {
      if (await this.#repos.evidence.has(key)) return
      await writeBatch(this.#db, [operation], false)
      stored = true
    })
    return stored
  }

  /** Forgets stored evidence (the evidence pool drops the oldest beyond its bounds); missing keys are ignored. */
  async deleteEvidence(keys: readonly EvidenceKey[]): Promise<void> {
    this.#assertOpen()
    if (keys.length === 0) return
    const operations = keys.map((key) => this.#repos.evidence.del(key))
    await this.#writes.enqueue(() => writeBatch(this.#db, operations, false))
  }

  /** All stored evidence in key order: by kind (proposal, vote, timeout), then view, then offender. */
  async evidence(): Promise<EvidenceRecord[]> {
    this.#assertOpen()
    const entries = await this.#repos.evidence.entries()
    return entries.map(({ value }) => value)
  }

  async evidenceCount(): Promise<number> {
    this.#assertOpen()
    return (await readKeys(this.#db, bucketRange(Bucket.evidence))).length
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('closed', `the store in ${this.#dir} is closed`)
  }

  /** Checks the record's internal consistency before anything is written. */
  #assertCommitRecord(record: CommitRecord): void {
    const { block, hash, qc, receipts, stateRoot } = record
    assertBytes32(hash, 'hash')
    assertBytes32(stateRoot, 'stateRoot')
    if (!bytesEqual(blockHash(block.header), hash)) {
      throw new StoreError('invalid-argument', `commit record: hash ${toHex(hash)} is not the block's hash`)
    }
    if (!bytesEqual(qc.blockHash, hash)) {
      throw new StoreError(
        'invalid-argument',
        `commit record: the QC certifies ${toHex(qc.blockHash)}, not ${toHex(hash)}`,
      )
    }
    if (receipts.length !== block.txs.length) {
      throw new StoreError(
        'invalid-argument',
        `commit record: ${receipts.length} receipts for ${block.txs.length} txs`,
      )
    }
    block.txs.forEach((tx, index) => {
      if (!bytesEqual(txHash(tx), (receipts[index] as Receipt).txHash)) {
        throw new StoreError('invalid-argument', `commit record: receipt ${index} is not for tx ${index}`)
      }
    })
    for (const { address } of record.accounts) assertBytes32(address, 'accounts[].address')
  }
}

function assertBytes32(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== hashBytes) {
    throw new StoreError('invalid-argument', `${what}: expected ${hashBytes} bytes`)
  }
}

function assertHeight(height: number): void {
  if (!Number.isSafeInteger(height) || height < 0) {
    throw new StoreError('invalid-argument', `height ${String(height)} is not a non-negative safe integer`)
  }
}
