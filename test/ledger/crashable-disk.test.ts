// The simulator's disk double: what survives a power cut is exactly what LevelDB keeps on a real disk (every
// batch up to the last synced one, per database), a dead process can no longer touch the disk, and storage
// work settles without timers.

import type { AbstractBatchOptions } from 'abstract-level'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../crypto/hash.js'
import { type Database, LedgerStore, StoreError } from '../../ledger/store/index.js'
import { CrashableDisk } from '../support/crashable-disk.js'

const bytes = (...values: number[]) => Uint8Array.of(...values)

/** classic-level's fsync option, which abstract-level passes through to the backend (the disk reads it). */
const synced: AbstractBatchOptions<Uint8Array, Uint8Array> & { sync: boolean } = { sync: true }

async function opened(database: Database): Promise<Database> {
  await database.open()
  return database
}

async function read(disk: CrashableDisk, name: string, key: Uint8Array): Promise<Uint8Array | undefined> {
  const database = await opened(disk.database(name))
  const value = await database.get(key)
  await database.close()
  return value
}

/** Flags for each promise, set when it settles (either way). */
function watch(promises: ReadonlyArray<Promise<unknown>>): boolean[] {
  const settled = promises.map(() => false)
  promises.forEach((promise, index) => {
    const mark = () => {
      settled[index] = true
    }
    promise.then(mark, mark)
  })
  return settled
}

describe('CrashableDisk', () => {
  it('a synced batch survives a power cut', async () => {
    const disk = new CrashableDisk()
    const database = await opened(disk.database('data'))
    await database.batch([{ type: 'put', key: bytes(1), value: bytes(10) }], synced)
    disk.crash()
    expect(await read(disk, 'data', bytes(1))).toEqual(bytes(10))
  })

  it('writes after the last synced batch are lost, though the live process read them', async () => {
    const disk = new CrashableDisk()
    const database = await opened(disk.database('data'))
    await database.batch([{ type: 'put', key: bytes(1), value: bytes(10) }], synced)
    await database.put(bytes(1), bytes(11))
    await database.put(bytes(2), bytes(20))
    expect(await database.get(bytes(1))).toEqual(bytes(11))
    disk.crash()
    expect(await read(disk, 'data', bytes(1))).toEqual(bytes(10))
    expect(await read(disk, 'data', bytes(2))).toBeUndefined()
  })

  it('an unsynced write before a later synced batch survives (the log is written in order)', async () => {
    const disk = new CrashableDisk()
    const database = await opened(disk.database('data'))
    await database.put(bytes(1), bytes(10))
    await database.del(bytes(1))
    await database.put(bytes(2), bytes(20))
    await database.batch([{ type: 'put', key: bytes(3), value: bytes(30) }], synced)
    disk.crash()
    expect(await read(disk, 'data', bytes(1))).toBeUndefined()
    expect(await read(disk, 'data', bytes(2))).toEqual(bytes(20))
    expect(await read(disk, 'data', bytes(3))).toEqual(bytes(30))
  })

  it("a sync makes only its own database's writes durable", async () => {
    const disk = new CrashableDisk()
    const data = await opened(disk.database('data'))
    const safety = await opened(disk.database('safety'))
    await data.put(bytes(1), bytes(10))
    await safety.batch([{ type: 'put', key: bytes(1), value: bytes(11) }], synced)
    disk.crash()
    expect(await read(disk, 'data', bytes(1))).toBeUndefined()
    expect(await read(disk, 'safety', bytes(1))).toEqual(bytes(11))
  })

  it('a clean stop (no crash) keeps unsynced writes for the next life', async () => {
    const disk = new CrashableDisk()
    const database = await opened(disk.database('data'))
    await database.put(bytes(1), bytes(10))
    await database.close()
    expect(await read(disk, 'data', bytes(1))).toEqual(bytes(10))
  })

  it("a dead process's writes and reads never settle, never throw and never land, even after later syncs", async () => {
    const disk = new CrashableDisk()
    const dead = await opened(disk.database('data'))
    const iterator = dead.iterator()
    disk.crash()
    const late = watch([
      dead.batch([{ type: 'put', key: bytes(1), value: bytes(66) }], synced),
      dead.put(bytes(2), bytes(66)),
      dead.get(bytes(1)),
      iterator.all(),
      dead.close(),
    ])
    // Anything a live handle does settles within one turn (see the last test); give these ten.
    for (let turn = 0; turn < 10; turn++) await new Promise(setImmediate)
    expect(late).toEqual([false, false, false, false, false])

    const next = await opened(disk.database('data'))
    await next.batch([{ type: 'put', key: bytes(3), value: bytes(30) }], synced)
    expect(await next.get(bytes(1))).toBeUndefined()
    expect(await next.get(bytes(2))).toBeUndefined()
    await next.close()
    disk.crash()
    expect(await read(disk, 'data', bytes(1))).toBeUndefined()
    expect(await read(disk, 'data', bytes(3))).toEqual(bytes(30))
  })

  it('a handle opened after a crash by the dead life never opens', async () => {
    const disk = new CrashableDisk()
    const handedOut = disk.database('data')
    disk.crash()
    const open = watch([handedOut.open()])
    for (let turn = 0; turn < 10; turn++) await new Promise(setImmediate)
    expect(open).toEqual([false])
  })

  it('refuses a second open handle on one database, as LevelDB does, and frees it on a crash', async () => {
    const disk = new CrashableDisk()
    const options = {
      dir: '/sim/v0/data',
      chainId: 'disk-test',
      genesisHash: sha256(bytes(0)),
      genesisStateRoot: sha256(bytes(1)),
    }
    const first = await LedgerStore.open({ ...options, database: disk.database('data') })
    const second = LedgerStore.open({ ...options, database: disk.database('data') })
    await expect(second).rejects.toThrow(StoreError)
    await expect(second).rejects.toMatchObject({ code: 'locked' })
    expect(first.head().height).toBe(0)
    disk.crash()
    const afterCrash = await LedgerStore.open({ ...options, database: disk.database('data') })
    expect(afterCrash.head().height).toBe(0)
    await afterCrash.close()
  })

  it('a failing disk rejects writes and keeps nothing of them; reads still work', async () => {
    const disk = new CrashableDisk()
    const database = await opened(disk.database('data'))
    await database.put(bytes(1), bytes(10))
    disk.failWrites(new Error('ENOSPC: no space left on device'))
    await expect(database.put(bytes(1), bytes(11))).rejects.toThrow(/ENOSPC/)
    expect(await database.get(bytes(1))).toEqual(bytes(10))
    disk.failWrites(null)
    await database.batch([{ type: 'put', key: bytes(2), value: bytes(20) }], synced)
    disk.crash()
    expect(await read(disk, 'data', bytes(1))).toEqual(bytes(10))
  })

  it('settles a burst of storage work within one setImmediate (no timers)', async () => {
    const disk = new CrashableDisk()
    const database = await opened(disk.database('data'))
    const calls: Array<Promise<unknown>> = []
    for (let i = 0; i < 200; i++) {
      calls.push(database.batch([{ type: 'put', key: bytes(i), value: bytes(i) }], synced))
      calls.push(database.get(bytes(i)))
      calls.push(database.iterator({ gte: bytes(0), lt: bytes(255) }).all())
    }
    const settled = watch(calls)
    await new Promise(setImmediate)
    expect(settled.every(Boolean)).toBe(true)
  })
})
