// The one file in Quorate that imports `level`. Keys and values are raw bytes; the repositories above give
// them types. A store runs over any abstract-level database: LevelDB in a directory in production, or one the
// caller built (the simulator's in-memory one), which the store opens and closes like its own.

import { crc32 } from 'node:zlib'
import type { AbstractBatchOptions, AbstractLevel } from 'abstract-level'
import { Level } from 'level'
import { StoreError } from './errors.js'

/**
 * An abstract-level database with byte keys and values. The first type parameter is the formats the backend
 * stores natively; classic-level and memory-level both take strings, Buffers and views.
 */
export type Database = AbstractLevel<string | Buffer | Uint8Array, Uint8Array, Uint8Array>

export type PutOperation =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array }

/** Where a store's database lives. */
export interface DatabaseLocation {
  /** The directory: LevelDB is opened there (created if missing) unless `database` is given; named in messages. */
  readonly dir: string
  /**
   * A database built by the caller with byte encodings (`keyEncoding` and `valueEncoding` 'view' or 'buffer'),
   * not yet open: the store opens it instead of LevelDB in `dir`, and closes it. The simulator passes its
   * in-memory storage here.
   */
  readonly database?: Database
}

const byteEncodings: ReadonlySet<string> = new Set(['view', 'buffer'])

export async function openDatabase(location: DatabaseLocation): Promise<Database> {
  const { dir } = location
  const db: Database =
    location.database ??
    new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  const encodings = [db.keyEncoding().commonName, db.valueEncoding().commonName]
  if (!encodings.every((name) => byteEncodings.has(name))) {
    throw new StoreError(
      'invalid-argument',
      `the database for ${dir} has key and value encodings ${encodings.join(' and ')}; the store needs bytes ` +
        '(view or buffer)',
    )
  }
  try {
    await db.open({ createIfMissing: true })
  } catch (error) {
    if (hasCode(error, 'LEVEL_LOCKED')) {
      throw new StoreError('locked', `the database in ${dir} is in use by another process`, { cause: error })
    }
    const code = hasCode(error, 'LEVEL_CORRUPTION') ? 'corrupt' : 'io'
    throw new StoreError(code, `cannot open the database in ${dir}: ${messageOf(error)}`, { cause: error })
  }
  return db
}

export async function readValue(db: Database, key: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const value = await db.get(key)
    return value === undefined ? undefined : unseal(key, plainBytes(value))
  } catch (error) {
    if (error instanceof StoreError) throw error
    throw ioError('read', error)
  }
}

export async function hasKey(db: Database, key: Uint8Array): Promise<boolean> {
  try {
    return await db.has(key)
  } catch (error) {
    throw ioError('read', error)
  }
}

/**
 * classic-level's `sync` batch option, which abstract-level hands to the backend as it is (the simulator's
 * storage reads it to decide what a power cut keeps).
 */
type BatchOptions = AbstractBatchOptions<Uint8Array, Uint8Array> & { readonly sync: boolean }

/** One atomic LevelDB write batch; `sync` waits for fsync, for writes that must survive power loss. */
export async function writeBatch(db: Database, operations: PutOperation[], sync: boolean): Promise<void> {
  try {
    const sealed = operations.map((op) => (op.type === 'put' ? { ...op, value: seal(op.key, op.value) } : op))
    const options: BatchOptions = { sync }
    await db.batch(sealed, options)
  } catch (error) {
    throw ioError('write', error)
  }
}

/** Every key with gte <= key < lt, in key order. */
export async function readKeys(
  db: Database,
  range: { gte: Uint8Array; lt: Uint8Array },
): Promise<Uint8Array[]> {
  try {
    return (await db.keys(range).all()).map(plainBytes)
  } catch (error) {
    throw ioError('read', error)
  }
}

/** Every entry with gte <= key < lt, in key order. */
export async function readRange(
  db: Database,
  range: { gte: Uint8Array; lt: Uint8Array },
): Promise<Array<[Uint8Array, Uint8Array]>> {
  try {
    const rows = await db.iterator({ ...range, keys: true, values: true }).all()
    return rows.map(([key, value]) => [plainBytes(key), unseal(plainBytes(key), plainBytes(value))])
  } catch (error) {
    if (error instanceof StoreError) throw error
    throw ioError('read', error)
  }
}

/** Entries read at a time by iterateRange. */
const iteratePageEntryCountMax = 1_024

/** Every entry with gte <= key < lt, in key order, a page at a time: for ranges too large to hold at once. */
export async function* iterateRange(
  db: Database,
  range: { gte: Uint8Array; lt: Uint8Array },
): AsyncGenerator<[Uint8Array, Uint8Array]> {
  const iterator = db.iterator({ ...range, keys: true, values: true })
  try {
    for (;;) {
      let rows: Array<[Uint8Array, Uint8Array]>
      try {
        rows = await iterator.nextv(iteratePageEntryCountMax)
      } catch (error) {
        throw ioError('read', error)
      }
      if (rows.length === 0) return
      for (const [key, value] of rows) {
        const keyBytes = plainBytes(key)
        yield [keyBytes, unseal(keyBytes, plainBytes(value))]
      }
    }
  } finally {
    await iterator.close()
  }
}

/**
 * Every stored value carries a CRC-32 over its key and itself. classic-level does not switch on LevelDB's own
 * checksum verification, so without this a flipped bit that still decodes would be served as valid data; the
 * key is covered too, so a value moved under another key is caught as well.
 */
const checksumBytes = 4

function checksum(key: Uint8Array, value: Uint8Array): number {
  return crc32(value, crc32(key))
}

/** A value as stored: followed by its checksum (exported for tests that write behind the store's back). */
export function seal(key: Uint8Array, value: Uint8Array): Uint8Array {
  const sealed = new Uint8Array(value.length + checksumBytes)
  sealed.set(value)
  new DataView(sealed.buffer).setUint32(value.length, checksum(key, value))
  return sealed
}

function unseal(key: Uint8Array, stored: Uint8Array): Uint8Array {
  const value = stored.subarray(0, stored.length - checksumBytes)
  const ok =
    stored.length >= checksumBytes &&
    new DataView(stored.buffer, stored.byteOffset).getUint32(value.length) === checksum(key, value)
  if (!ok) {
    throw new StoreError(
      'corrupt',
      `stored value at key ${Buffer.from(key).toString('hex')} fails its checksum`,
    )
  }
  return value
}

/** Whether the database holds any key at all. */
export async function isEmpty(db: Database): Promise<boolean> {
  try {
    return (await db.keys({ limit: 1 }).all()).length === 0
  } catch (error) {
    throw ioError('read', error)
  }
}

/**
 * classic-level hands out Buffers whatever the encoding; a Buffer's `slice` aliases instead of copying, so
 * decoders that copy with `slice` would keep views into LevelDB's buffers. A plain view fixes `slice`.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes
}

function ioError(operation: 'read' | 'write', error: unknown): StoreError {
  // LevelDB found its own files damaged (a bad block checksum, a truncated table): the data is corrupt, which
  // the operator handles differently from a failing disk.
  const code = hasCode(error, 'LEVEL_CORRUPTION') ? 'corrupt' : 'io'
  return new StoreError(code, `database ${operation} failed: ${messageOf(error)}`, { cause: error })
}

function hasCode(error: unknown, code: string): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if ((current as Error & { code?: unknown }).code === code) return true
    current = current.cause
  }
  return false
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
