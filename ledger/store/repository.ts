// A typed view of one bucket. Every value read back is decoded with the strict codec and checked against its
// key where the key commits to it (a hash); any failure is a StoreError 'corrupt' naming the key, so bad data
// is never returned.

import { toHex } from '../../crypto/hex.js'
import { type Bucket, bucketKey, bucketName, bucketRange } from './buckets.js'
import { type Database, hasKey, iterateRange, type PutOperation, readRange, readValue } from './database.js'
import { StoreError } from './errors.js'

export interface RepositorySchema<K, V> {
  readonly bucket: Bucket
  keyBytes(key: K): Uint8Array
  encode(value: V): Uint8Array
  decode(bytes: Uint8Array): V
  /** Describes why a decoded value does not belong under its key (e.g. a hash mismatch), if it does not. */
  check?(keyBytes: Uint8Array, value: V): string | undefined
}

export class Repository<K, V> {
  readonly #db: Database
  readonly #schema: RepositorySchema<K, V>

  constructor(db: Database, schema: RepositorySchema<K, V>) {
    this.#db = db
    this.#schema = schema
  }

  async get(key: K): Promise<V | undefined> {
    const keyBytes = this.#schema.keyBytes(key)
    const bytes = await readValue(this.#db, bucketKey(this.#schema.bucket, keyBytes))
    return bytes === undefined ? undefined : this.#decode(keyBytes, bytes)
  }

  async has(key: K): Promise<boolean> {
    return hasKey(this.#db, bucketKey(this.#schema.bucket, this.#schema.keyBytes(key)))
  }

  /** The write, for the caller to put in an atomic batch. */
  put(key: K, value: V): PutOperation {
    return {
      type: 'put',
      key: bucketKey(this.#schema.bucket, this.#schema.keyBytes(key)),
      value: this.#schema.encode(value),
    }
  }

  del(key: K): PutOperation {
    return { type: 'del', key: bucketKey(this.#schema.bucket, this.#schema.keyBytes(key)) }
  }

  /** Every entry of the bucket in key order, as (key bytes without the bucket byte, value). */
  async entries(): Promise<Array<{ keyBytes: Uint8Array; value: V }>> {
    const rows = await readRange(this.#db, bucketRange(this.#schema.bucket))
    return rows.map(([key, bytes]) => {
      const keyBytes = key.subarray(1)
      return { keyBytes, value: this.#decode(keyBytes, bytes) }
    })
  }

  /** Like entries, read a page at a time: for a bucket too large to hold at once. */
  async *iterate(): AsyncGenerator<{ keyBytes: Uint8Array; value: V }> {
    for await (const [key, bytes] of iterateRange(this.#db, bucketRange(this.#schema.bucket))) {
      const keyBytes = key.subarray(1)
      yield { keyBytes, value: this.#decode(keyBytes, bytes) }
    }
  }

  #decode(keyBytes: Uint8Array, bytes: Uint8Array): V {
    const where = `${bucketName(this.#schema.bucket)} ${toHex(keyBytes)}`
    let value: V
    try {
      value = this.#schema.decode(bytes)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new StoreError('corrupt', `stored value at ${where} does not decode: ${message}`, {
        cause: error,
      })
    }
    const problem = this.#schema.check?.(keyBytes, value)
    if (problem !== undefined) throw new StoreError('corrupt', `stored value at ${where}: ${problem}`)
    return value
  }
}
