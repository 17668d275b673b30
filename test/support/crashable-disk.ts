// One validator's disk in the simulator: its databases (the ledger and the safety database), durable across
// simulated power cuts the way LevelDB is on a real disk. Each process life gets a fresh abstract-level handle
// (memory-level underneath) per database; every write reaches that handle at once (reads see it), but only the
// writes up to and including the last synced batch are durable: LevelDB appends each batch to its log in order,
// so a synced batch makes every earlier batch of the same database durable too (and nothing of another one).
//
// crash() is a power cut: the handles of the life that ends are fenced (whatever the dead process does with them
// later never settles, never throws and never reaches the disk), and the writes after each database's last
// sync are lost. A clean stop (the process closes its handles, no crash) keeps every write, as a process that
// exits leaves its writes in the OS page cache. Nothing here uses a timer: memory-level settles every operation
// in microtasks, so one `await new Promise(setImmediate)` drains all storage work.

import { MemoryLevel } from 'memory-level'
import type { Database } from '../../ledger/store/index.js'

type Write =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array }

/** The options abstract-level hands a backend's write methods; `sync` is classic-level's, passed through. */
interface WriteOptions {
  readonly sync?: boolean
}

/**
 * memory-level's private (underscore) methods, which abstract-level calls and a backend overrides. Its type
 * declarations leave them out, so CrashableLevel reaches them through this view of the prototype.
 */
interface MemoryLevelPrivateApi {
  _open(options: object): Promise<void>
  _batch(operations: readonly Write[], options: object): Promise<void>
  _get(key: Uint8Array, options: object): Promise<Uint8Array | undefined>
  _getMany(keys: Uint8Array[], options: object): Promise<Array<Uint8Array | undefined>>
  _has(key: Uint8Array, options: object): Promise<boolean>
  _hasMany(keys: Uint8Array[], options: object): Promise<boolean[]>
  _iterator(options: object): object
  _keys(options: object): object
  _values(options: object): object
}

const memoryLevel = MemoryLevel.prototype as unknown as MemoryLevelPrivateApi

/** The methods of an iterator that read; a dead process's iterator must not read any more. */
const iteratorReads = ['_next', '_nextv', '_all'] as const

type IteratorRead = (...args: unknown[]) => Promise<unknown>

/** What a dead process's storage calls return: a promise that never settles. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {})
}

function keyOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
}

/** One database of the disk: its durable image and the batches written since its last sync. */
class DiskDatabase {
  /** Key (hex) → [key, value], as of the last synced batch. */
  readonly #durable = new Map<string, readonly [Uint8Array, Uint8Array]>()
  /** Batches written after the last synced batch, in order: kept by a clean stop, lost by a power cut. */
  #unsynced: Write[][] = []
  /** The handle that has this database open (LevelDB's lock), if any. */
  holder: CrashableLevel | null = null

  constructor(readonly name: string) {}

  record(batch: Write[], sync: boolean): void {
    this.#unsynced.push(batch)
    if (!sync) return
    for (const written of this.#unsynced) applyWrites(this.#durable, written)
    this.#unsynced = []
  }

  /** A power cut: what was not synced is gone, and the dead process's lock with it. */
  crash(): void {
    this.#unsynced = []
    this.holder = null
  }

  /** What the next process life finds: the durable image, and the unsynced writes if there was no crash. */
  contents(): Write[] {
    const image = new Map(this.#durable)
    for (const written of this.#unsynced) applyWrites(image, written)
    // Copies: a process must not be able to change the disk by changing what it read.
    return [...image.values()].map(([key, value]) => ({
      type: 'put',
      key: key.slice(),
      value: value.slice(),
    }))
  }
}

function applyWrites(image: Map<string, readonly [Uint8Array, Uint8Array]>, writes: readonly Write[]): void {
  for (const write of writes) {
    if (write.type === 'put') image.set(keyOf(write.key), [write.key, write.value])
    else image.delete(keyOf(write.key))
  }
}

/** A memory-level database whose writes the disk records, fenced once its process life has ended. */
class CrashableLevel extends MemoryLevel<Uint8Array, Uint8Array> {
  readonly #disk: CrashableDisk
  readonly #database: DiskDatabase
  readonly #life: number
  #loaded = false

  constructor(disk: CrashableDisk, database: DiskDatabase, life: number) {
    super({ keyEncoding: 'view', valueEncoding: 'view', storeEncoding: 'view' })
    this.#disk = disk
    this.#database = database
    this.#life = life
  }

  get #dead(): boolean {
    return this.#life !== this.#disk.life
  }

  async _open(options: object): Promise<void> {
    if (this.#dead) return never()
    const holder = this.#database.holder
    if (holder !== null && holder !== this) {
      throw Object.assign(new Error(`database ${this.#database.name} is open in another handle`), {
        code: 'LEVEL_LOCKED',
      })
    }
    this.#database.holder = this
    await memoryLevel._open.call(this, options)
    if (!this.#loaded) {
      await memoryLevel._batch.call(this, this.#database.contents(), {})
      this.#loaded = true
    }
  }

  async _close(): Promise<void> {
    if (this.#dead) return never()
    if (this.#database.holder === this) this.#database.holder = null
  }

  async _put(key: Uint8Array, value: Uint8Array, options: WriteOptions): Promise<void> {
    return this._batch([{ type: 'put', key, value }], options)
  }

  async _del(key: Uint8Array, options: WriteOptions): Promise<void> {
    return this._batch([{ type: 'del', key }], options)
  }

  async _batch(operations: readonly Write[], options: WriteOptions): Promise<void> {
    if (this.#dead) return never()
    const fault = this.#disk.writeFault
    if (fault !== null) throw fault
    // Copies: the caller may reuse its buffers, and the disk keeps these across lives.
    const batch = operations.map(
      (op): Write =>
        op.type === 'put'
          ? { type: 'put', key: op.key.slice(), value: op.value.slice() }
          : { type: 'del', key: op.key.slice() },
    )
    this.#database.record(batch, options.sync === true)
    return memoryLevel._batch.call(this, operations, options)
  }

  async _clear(): Promise<void> {
    if (this.#dead) return never()
    throw new Error('CrashableDisk does not model clear(): the stores delete by batch')
  }

  _getSync(): never {
    throw new Error('CrashableDisk does not model getSync(): the stores read asynchronously')
  }

  async _get(key: Uint8Array, options: object): Promise<Uint8Array | undefined> {
    return this.#dead ? never() : memoryLevel._get.call(this, key, options)
  }

  async _getMany(keys: Uint8Array[], options: object): Promise<Array<Uint8Array | undefined>> {
    return this.#dead ? never() : memoryLevel._getMany.call(this, keys, options)
  }

  async _has(key: Uint8Array, options: object): Promise<boolean> {
    return this.#dead ? never() : memoryLevel._has.call(this, key, options)
  }

  async _hasMany(keys: Uint8Array[], options: object): Promise<boolean[]> {
    return this.#dead ? never() : memoryLevel._hasMany.call(this, keys, options)
  }

  _iterator(options: object): object {
    return this.#fenced(memoryLevel._iterator.call(this, options))
  }

  _keys(options: object): object {
    return this.#fenced(memoryLevel._keys.call(this, options))
  }

  _values(options: object): object {
    return this.#fenced(memoryLevel._values.call(this, options))
  }

  /** An iterator opened in this life stops reading when the life ends, like every other call. */
  #fenced(iterator: object): object {
    const reads = iterator as Record<(typeof iteratorReads)[number], IteratorRead>
    for (const name of iteratorReads) {
      const read = reads[name].bind(iterator)
      reads[name] = (...args) => (this.#dead ? never() : read(...args))
    }
    return iterator
  }
}

export class CrashableDisk {
  readonly #databases = new Map<string, DiskDatabase>()
  /** Counts process lives; a handle belongs to the life it was handed out in. */
  #life = 0
  #writeFault: Error | null = null

  get life(): number {
    return this.#life
  }

  /** Set by failWrites: every write of a live handle rejects with it and changes nothing. */
  get writeFault(): Error | null {
    return this.#writeFault
  }

  /**
   * A new handle on database `name` for the current process life, not yet open (the store opens it). It starts
   * from what the previous life left: everything it wrote after a clean stop, only what it synced after a crash.
   * Opening a second handle while one is open fails as LevelDB's lock does (LEVEL_LOCKED).
   */
  database(name: string): Database {
    let database = this.#databases.get(name)
    if (database === undefined) {
      database = new DiskDatabase(name)
      this.#databases.set(name, database)
    }
    return new CrashableLevel(this, database, this.#life)
  }

  /**
   * A power cut: every handle handed out so far is dead (its calls never settle), and each database loses the
   * writes after its last synced batch.
   */
  crash(): void {
    this.#life++
    for (const database of this.#databases.values()) database.crash()
  }

  /** A failing disk (full, I/O error): until called with null, every write rejects with `error` and lands nowhere. */
  failWrites(error: Error | null): void {
    this.#writeFault = error
  }
}
