// Tools for damaging a stopped validator's LevelDB directory the way disks and crashes do, and for running
// `quorate start` on it as a child process. The store's own code never imports `level` outside database.ts;
// a test that must reach under the store to break it opens its own raw handle here.

import { type ChildProcess, spawn } from 'node:child_process'
import { cp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { Bucket, heightBytes, MetaKey, metaKey } from '../../ledger/store/buckets.js'
import { seal } from '../../ledger/store/database.js'

export type RawDatabase = Level<Uint8Array, Uint8Array>

/** Opens the LevelDB directory with a raw handle (the validator must be stopped), runs `use`, closes it. */
export async function withRawDatabase<T>(
  dir: string,
  use: (db: RawDatabase) => Promise<T>,
  options: { compression?: boolean } = {},
): Promise<T> {
  const db = new Level<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    compression: options.compression ?? true,
  })
  await db.open({ createIfMissing: false })
  try {
    return await use(db)
  } finally {
    await db.close()
  }
}

export function key(bucket: Bucket, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + bytes.length)
  out[0] = bucket
  out.set(bytes, 1)
  return out
}

export const headKey = metaKey(MetaKey.head)
export const hashByHeightKey = (height: number) => key(Bucket.hashByHeight, heightBytes(height))
export const blockByHashKey = (hash: Uint8Array) => key(Bucket.blockByHash, hash)
export const txLocationKey = (hash: Uint8Array) => key(Bucket.txLocation, hash)

/** The bytes as stored, with the store's trailing checksum. */
export async function readRaw(db: RawDatabase, rawKey: Uint8Array): Promise<Uint8Array> {
  const value = await db.get(rawKey)
  if (value === undefined) throw new Error(`no value stored under ${Buffer.from(rawKey).toString('hex')}`)
  return new Uint8Array(value)
}

/** The stored value without its checksum. */
export async function readValue(db: RawDatabase, rawKey: Uint8Array): Promise<Uint8Array> {
  const stored = await readRaw(db, rawKey)
  return stored.subarray(0, stored.length - 4)
}

/** Writes a wrong but well-formed value, checksum included, as a bug or another program would. */
export async function writeSealed(db: RawDatabase, rawKey: Uint8Array, value: Uint8Array): Promise<void> {
  await db.put(rawKey, seal(rawKey, value))
}

/**
 * Rewrites everything LevelDB holds into table files holding only live entries (the write-ahead log is
 * recovered into a level-0 table on open; the manual compaction then drops superseded versions), so bytes
 * flipped anywhere in the newest table hit data the validator reads. Returns that table's path.
 */
export async function compactIntoTable(dir: string, options: { compression: boolean }): Promise<string> {
  await withRawDatabase(
    dir,
    async (db) => {
      // `level` is classic-level on Node; its typings describe only what browsers share.
      const classic = db as unknown as {
        compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void>
      }
      if (typeof classic.compactRange !== 'function') throw new Error('this `level` has no compactRange')
      await classic.compactRange(Uint8Array.of(0x00), Uint8Array.of(0xff, 0xff, 0xff, 0xff))
    },
    options,
  )
  const table = await newestFile(dir, /^(\d+)\.(ldb|sst)$/)
  if (table === undefined) throw new Error(`LevelDB wrote no table file in ${dir}`)
  return table
}

/** The LevelDB file with the highest number whose name matches `pattern` (group 1 is the number). */
export async function newestFile(dir: string, pattern: RegExp): Promise<string | undefined> {
  let newest: { number: number; name: string } | undefined
  for (const name of await readdir(dir)) {
    const match = pattern.exec(name)
    if (match === null) continue
    const number = Number(match[1])
    if (newest === undefined || number > newest.number) newest = { number, name }
  }
  return newest === undefined ? undefined : join(dir, newest.name)
}

/** XORs `count` bytes starting at `offset` with 0xff. */
export async function flipBytes(path: string, offset: number, count: number): Promise<void> {
  const bytes = await readFile(path)
  if (offset < 0 || offset + count > bytes.length) {
    throw new Error(`cannot flip ${count} bytes at ${offset} in ${path} (${bytes.length} bytes)`)
  }
  for (let i = offset; i < offset + count; i++) bytes[i] = bytes[i]! ^ 0xff
  await writeFile(path, bytes)
}

export async function flipBytesInTheMiddle(path: string, count: number): Promise<number> {
  const size = (await readFile(path)).length
  const offset = Math.floor((size - count) / 2)
  await flipBytes(path, offset, count)
  return offset
}

export async function truncateToFraction(path: string, fraction: number): Promise<number> {
  const size = (await readFile(path)).length
  const length = Math.floor(size * fraction)
  await truncate(path, length)
  return length
}

const typeValue = 0x01
const internalKeyTrailerBytes = 8

/**
 * Flips one byte of the value stored under `rawKey` inside an uncompressed table file, leaving the block's
 * checksum as it was. Keys in a data block are prefix-compressed, so the entry is found by the key's last bytes,
 * followed by LevelDB's 8-byte trailer (type "value" in its low byte) and the exact stored value.
 */
export async function flipValueByteInTable(
  tablePath: string,
  rawKey: Uint8Array,
  value: Uint8Array,
  valueByteIndex: number,
): Promise<void> {
  const file = await readFile(tablePath)
  const keyTail = Buffer.from(rawKey.subarray(Math.max(0, rawKey.length - 24)))
  for (let at = file.indexOf(keyTail); at >= 0; at = file.indexOf(keyTail, at + 1)) {
    const trailerAt = at + keyTail.length
    const valueAt = trailerAt + internalKeyTrailerBytes
    if (file[trailerAt] !== typeValue) continue
    if (!file.subarray(valueAt, valueAt + value.length).equals(value)) continue
    file[valueAt + valueByteIndex] = file[valueAt + valueByteIndex]! ^ 0x01
    await writeFile(tablePath, file)
    return
  }
  throw new Error(`the value of key ${Buffer.from(rawKey).toString('hex')} was not found in ${tablePath}`)
}

/** Replaces `to` with a copy of `from` (both LevelDB directories). */
export async function restoreCopy(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true })
  await cp(from, to, { recursive: true })
}

export interface ValidatorExitStatus {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

const outputCharsMax = 1_000_000

/** `node CLI start --home HOME` as a child process, stdout and stderr captured together. */
export class StartedValidator {
  readonly child: ChildProcess
  readonly exited: Promise<ValidatorExitStatus>
  readonly startedAtMs = Date.now()
  #output = ''
  #running = true

  private constructor(child: ChildProcess) {
    this.child = child
    const append = (chunk: Buffer): void => {
      this.#output += chunk.toString('utf8')
      if (this.#output.length > outputCharsMax) this.#output = this.#output.slice(-outputCharsMax / 2)
    }
    child.stdout?.on('data', append)
    child.stderr?.on('data', append)
    // The child exits when its stdin closes (--exit-with-stdin); it writes nothing, so only EPIPE matters.
    child.stdin?.on('error', () => {})
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#running = false
        resolve({ code, signal })
      })
      child.once('error', () => {
        this.#running = false
        resolve({ code: null, signal: null })
      })
    })
  }

  static spawn(cliPath: string, home: string): StartedValidator {
    // --exit-with-stdin: if this test process dies, the closed pipe stops the validator too.
    const child = spawn(process.execPath, [cliPath, 'start', '--home', home, '--exit-with-stdin'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    return new StartedValidator(child)
  }

  get output(): string {
    return this.#output
  }

  get running(): boolean {
    return this.#running
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  async stop(graceMs = 5_000): Promise<ValidatorExitStatus> {
    if (this.#running) this.child.kill('SIGTERM')
    const timer = setTimeout(() => {
      if (this.#running) this.child.kill('SIGKILL')
    }, graceMs)
    const exit = await this.exited
    clearTimeout(timer)
    return exit
  }

  killNow(): void {
    if (this.#running) this.child.kill('SIGKILL')
  }
}
