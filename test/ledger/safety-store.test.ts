// The safety state in its own database: what this validator signed survives restarts and power cuts, is
// moved over once from homes that kept it in the ledger database, and is never returned when corrupt.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../crypto/hash.js'
import { encodeSafetyState, encodeTC } from '../../ledger/codec/index.js'
import { bucketKey, MetaKey, metaKey } from '../../ledger/store/buckets.js'
import { seal } from '../../ledger/store/database.js'
import {
  Bucket,
  LedgerStore,
  SafetyStore,
  type SafetyStoreOptions,
  StoreError,
  type StoreErrorCode,
} from '../../ledger/store/index.js'
import type { QuorumCertificate, SafetyState, TimeoutCertificate } from '../../ledger/types.js'
import { CrashableDisk } from '../support/crashable-disk.js'

const chainId = 'safety-test'
const genesisHash = sha256(new TextEncoder().encode('genesis'))
const genesisStateRoot = sha256(new TextEncoder().encode('state'))

function qcFor(view: number): QuorumCertificate {
  return {
    view,
    blockHash: sha256(Uint8Array.of(view)),
    signers: [0, 1, 2],
    signatures: [0, 1, 2].map((signer) => new Uint8Array(64).fill(signer + 1)),
  }
}

function safetyAt(view: number): SafetyState {
  return {
    lastVotedView: view,
    preferredView: view - 2,
    highQC: qcFor(view - 1),
    lastTimeout: { view, highQC: qcFor(view - 1), sender: 3, signature: new Uint8Array(64).fill(9) },
  }
}

function tcAt(view: number): TimeoutCertificate {
  return {
    view,
    signers: [0, 2, 3],
    highQCViews: [view - 2, view - 1, view - 1],
    signatures: [0, 2, 3].map((signer) => new Uint8Array(64).fill(signer + 1)),
  }
}

/** The safety and ledger databases of one simulated home. */
function simHome(disk: CrashableDisk) {
  return {
    safety: (overrides: Partial<SafetyStoreOptions> = {}) =>
      SafetyStore.open({
        dir: '/sim/v0/safety',
        database: disk.database('safety'),
        chainId,
        genesisHash,
        ...overrides,
      }),
    ledger: () =>
      LedgerStore.open({
        dir: '/sim/v0/data',
        database: disk.database('data'),
        chainId,
        genesisHash,
        genesisStateRoot,
      }),
  }
}

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(StoreError)
  expect((error as StoreError).code).toBe(code)
  return error as StoreError
}

/** Writes one value behind the stores' back (another program, a disk fault, an older version). */
async function writeRaw(
  disk: CrashableDisk,
  name: string,
  key: Uint8Array,
  stored: Uint8Array,
): Promise<void> {
  const raw = disk.database(name)
  await raw.open()
  await raw.put(key, stored)
  await raw.close()
}

/** What the previous version wrote in the ledger database: the safety state in bucket 8, the TC in meta. */
async function writeRetired(
  disk: CrashableDisk,
  retired: { safety?: SafetyState; highestTC?: TimeoutCertificate },
) {
  if (retired.safety !== undefined) {
    const key = bucketKey(Bucket.safety, new Uint8Array(0))
    await writeRaw(disk, 'data', key, seal(key, encodeSafetyState(retired.safety)))
  }
  if (retired.highestTC !== undefined) {
    const key = metaKey(MetaKey.highestTC)
    await writeRaw(disk, 'data', key, seal(key, encodeTC(retired.highestTC)))
  }
}

describe('SafetyStore', () => {
  it('round-trips the safety state and the highest TC (none in a new store), over LevelDB and across reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quorate-safety-'))
    try {
      const { store, migrated } = await SafetyStore.open({ dir, chainId, genesisHash })
      expect(migrated).toBeNull()
      expect(await store.loadSafetyState()).toBeNull()
      expect(await store.loadHighestTC()).toBeNull()
      await store.saveSafetyState(safetyAt(12))
      await store.saveHighestTC(tcAt(11))
      expect(await store.loadSafetyState()).toEqual(safetyAt(12))
      expect(await store.loadHighestTC()).toEqual(tcAt(11))
      // Saves land in call order: the later state is never overwritten by an earlier one.
      await Promise.all([store.saveSafetyState(safetyAt(13)), store.saveSafetyState(safetyAt(14))])
      await store.close()
      await expectStoreError(store.loadSafetyState(), 'closed')

      const reopened = await SafetyStore.open({ dir, chainId, genesisHash })
      expect(reopened.migrated).toBeNull()
      expect(await reopened.store.loadSafetyState()).toEqual(safetyAt(14))
      expect(await reopened.store.loadHighestTC()).toEqual(tcAt(11))
      await reopened.store.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a saved safety state survives a power cut, and so does a highest TC saved before it', async () => {
    const disk = new CrashableDisk()
    const home = simHome(disk)
    const { store } = await home.safety()
    await store.saveHighestTC(tcAt(20))
    await store.saveSafetyState(safetyAt(21))
    // Not synced on its own: the next safety save (the vote or timeout in the new view) makes it durable.
    await store.saveHighestTC(tcAt(21))
    disk.crash()
    const after = await home.safety()
    expect(await after.store.loadSafetyState()).toEqual(safetyAt(21))
    expect(await after.store.loadHighestTC()).toEqual(tcAt(20))
  })

  it('moves the safety state and highest TC of a home written before it over from the ledger store, once', async () => {
    const disk = new CrashableDisk()
    const home = simHome(disk)
    await (await home.ledger()).close()
    await writeRetired(disk, { safety: safetyAt(31), highestTC: tcAt(30) })
    const ledger = await home.ledger()

    const first = await home.safety({ retired: ledger })
    expect(first.migrated).toEqual({ safety: safetyAt(31), highestTC: tcAt(30) })
    expect(await first.store.loadSafetyState()).toEqual(safetyAt(31))
    expect(await first.store.loadHighestTC()).toEqual(tcAt(30))
    expect(await ledger.retiredSafety()).toEqual({ safety: null, highestTC: null })

    // The copy is durable when open returns; the migration does not run again.
    disk.crash()
    const ledgerAfter = await home.ledger()
    const second = await home.safety({ retired: ledgerAfter })
    expect(second.migrated).toBeNull()
    expect(await second.store.loadSafetyState()).toEqual(safetyAt(31))
    expect(await second.store.loadHighestTC()).toEqual(tcAt(30))
  })

  it('moves nothing from a new home, and never overwrites a safety database that exists', async () => {
    const disk = new CrashableDisk()
    const home = simHome(disk)
    const fresh = await home.safety({ retired: await home.ledger() })
    expect(fresh.migrated).toBeNull()
    await fresh.store.saveSafetyState(safetyAt(40))
    await fresh.store.close()
    // An older safety state in the ledger database (say, from a downgrade) must not replace the current one.
    disk.crash()
    await writeRetired(disk, { safety: safetyAt(35) })
    const ledger = await home.ledger()
    const again = await home.safety({ retired: ledger })
    expect(again.migrated).toBeNull()
    expect(await again.store.loadSafetyState()).toEqual(safetyAt(40))
    expect((await ledger.retiredSafety()).safety).toEqual(safetyAt(35))
  })

  it('refuses a corrupt safety state with StoreError corrupt, never returning it', async () => {
    const disk = new CrashableDisk()
    const home = simHome(disk)
    const { store } = await home.safety()
    await store.saveSafetyState(safetyAt(50))
    await store.close()
    const key = Uint8Array.of(Bucket.safety)

    // Well sealed but not a safety state (a truncated encoding): the strict decoder refuses it.
    const truncated = encodeSafetyState(safetyAt(50)).subarray(0, 20)
    await writeRaw(disk, 'safety', key, seal(key, truncated))
    const decoded = await home.safety()
    const notDecoded = await expectStoreError(decoded.store.loadSafetyState(), 'corrupt')
    expect(notDecoded.message).toContain('does not decode')
    await decoded.store.close()

    // One flipped bit in a valid value: the checksum refuses it.
    const flipped = seal(key, encodeSafetyState(safetyAt(51)))
    flipped[3]! ^= 0x10
    await writeRaw(disk, 'safety', key, flipped)
    const checked = await home.safety()
    const badChecksum = await expectStoreError(checked.store.loadSafetyState(), 'corrupt')
    expect(badChecksum.message).toContain('fails its checksum')
  })

  it("refuses another chain's safety directory", async () => {
    const disk = new CrashableDisk()
    const home = simHome(disk)
    await (await home.safety()).store.close()
    const error = await expectStoreError(home.safety({ genesisHash: sha256(genesisHash) }), 'wrong-chain')
    expect(error.message).toContain('safety directory /sim/v0/safety belongs to chain')
  })
})
