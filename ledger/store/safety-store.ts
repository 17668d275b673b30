// The validator's safety state (the views it voted and timed out in, its lock and highest QC) and the highest
// TC it entered a view with, in a database of their own (LevelDB in `<home>/safety`), apart from the chain data
// in `<home>/data`. Corrupt chain data is recovered by moving `<home>/data` aside and re-syncing the chain from
// peers; the safety state cannot be recovered that way, and a validator that forgot it could sign twice in one
// view. Values are sealed and strictly decoded exactly like the ledger store's (same database module, codec and
// repositories); the key space is shared (see buckets.ts).

import type { Hash, SafetyState, TimeoutCertificate } from '../types.js'
import {
  type Database,
  type DatabaseLocation,
  openDatabase,
  type PutOperation,
  writeBatch,
} from './database.js'
import { StoreError } from './errors.js'
import type { RetiredSafety } from './ledger-store.js'
import { createSafetyRepositories, type SafetyRepositories } from './repositories.js'
import {
  assertIdentityArguments,
  checkIdentity,
  creationBatch,
  type StoreIdentity,
} from './store-identity.js'
import { WriteQueue } from './write-queue.js'

/** The layout version of the safety database; numbered apart from the ledger database's. */
export const safetySchemaVersionCurrent = 1

/** Where a home written before the safety database keeps its safety state: the ledger store (see Bucket.safety). */
export interface RetiredSafetySource {
  retiredSafety(): Promise<RetiredSafety>
  deleteRetiredSafety(): Promise<void>
}

/** `dir` is the safety directory (`<home>/safety`); see DatabaseLocation for `database`. */
export interface SafetyStoreOptions extends DatabaseLocation {
  readonly chainId: string
  readonly genesisHash: Hash
  /**
   * The ledger store of the same home. When the safety database is new and the ledger store still holds a
   * safety state or highest TC, they are copied over (synced) and then deleted from the ledger store.
   */
  readonly retired?: RetiredSafetySource
}

/** What `open` moved over from the ledger store (for the node to log); null when it moved nothing. */
export type SafetyMigration = RetiredSafety

export interface OpenedSafetyStore {
  readonly store: SafetyStore
  readonly migrated: SafetyMigration | null
}

export class SafetyStore {
  readonly #db: Database
  readonly #repos: SafetyRepositories
  readonly #dir: string
  readonly #writes = new WriteQueue()
  #closed = false

  private constructor(db: Database, repos: SafetyRepositories, dir: string) {
    this.#db = db
    this.#repos = repos
    this.#dir = dir
  }

  /**
   * Opens the safety database, creating it for this chain if it is empty (moving over what `opts.retired`
   * holds). Refuses (StoreError) a database of a newer or unknown schema, of another chain, or locked by another
   * process.
   */
  static async open(opts: SafetyStoreOptions): Promise<OpenedSafetyStore> {
    assertIdentityArguments(opts.chainId, opts.genesisHash)
    const db = await openDatabase(opts)
    try {
      const repos = createSafetyRepositories(db)
      const identity: StoreIdentity = {
        description: `safety directory ${opts.dir}`,
        chainId: opts.chainId,
        genesisHash: opts.genesisHash,
        schemaVersion: safetySchemaVersionCurrent,
      }
      let migrated: SafetyMigration | null = null
      if ((await checkIdentity(db, repos, identity)) === 'empty') {
        migrated = await SafetyStore.#create(db, repos, identity, opts.retired)
      }
      return { store: new SafetyStore(db, repos, opts.dir), migrated }
    } catch (error) {
      await db.close().catch(() => {})
      throw error
    }
  }

  /**
   * One synced batch creates the database with whatever the ledger store still holds, so a crash leaves either
   * no safety database (the next start moves it over again) or one with everything; only then is the ledger
   * store's copy deleted.
   */
  static async #create(
    db: Database,
    repos: SafetyRepositories,
    identity: StoreIdentity,
    retired: RetiredSafetySource | undefined,
  ): Promise<SafetyMigration | null> {
    const found = (await retired?.retiredSafety()) ?? { safety: null, highestTC: null }
    const contents: PutOperation[] = []
    if (found.safety !== null) contents.push(repos.safety.put(null, found.safety))
    if (found.highestTC !== null) contents.push(repos.highestTC.put(null, found.highestTC))
    await writeBatch(db, creationBatch(repos, identity, contents), true)
    if (contents.length === 0) return null
    await retired?.deleteRetiredSafety()
    return found
  }

  /** Waits for pending writes, then closes the database. Later calls throw StoreError 'closed'. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#writes.drained()
    await this.#db.close()
  }

  async loadSafetyState(): Promise<SafetyState | null> {
    this.#assertOpen()
    return (await this.#repos.safety.get(null)) ?? null
  }

  /** Durable (fsync) before it resolves: call it before the vote or timeout it protects leaves the process. */
  async saveSafetyState(state: SafetyState): Promise<void> {
    this.#assertOpen()
    const operation = this.#repos.safety.put(null, state)
    await this.#writes.enqueue(() => writeBatch(this.#db, [operation], true))
  }

  /**
   * Keeps the highest TC this validator entered a view with, so that after a restart it can still relay it to
   * peers that time out in the view it ended (they may wait for timeouts that are no longer sent). Not synced:
   * the vote or timeout that follows in the new view is, in this same database, and LevelDB persists writes in
   * order.
   */
  async saveHighestTC(tc: TimeoutCertificate): Promise<void> {
    this.#assertOpen()
    const operation = this.#repos.highestTC.put(null, tc)
    await this.#writes.enqueue(() => writeBatch(this.#db, [operation], false))
  }

  async loadHighestTC(): Promise<TimeoutCertificate | null> {
    this.#assertOpen()
    return (await this.#repos.highestTC.get(null)) ?? null
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('closed', `the safety store in ${this.#dir} is closed`)
  }
}
