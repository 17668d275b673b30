// Whatever part of a validator's boot finds its stored data unreadable (the accounts, the chain, the evidence
// pool, the mempool journal), the operator gets the recovery guidance (CorruptDataError: which directory, move
// <home>/data aside, keep <home>/safety), never a raw store or decode error.
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { nodeSignatureVerifier } from '../../crypto/index.js'
import { Bucket } from '../../ledger/store/buckets.js'
import { seal } from '../../ledger/store/database.js'
import { LedgerStore, SafetyStore } from '../../ledger/store/index.js'
import { CorruptDataError } from '../../node/integrity.js'
import { NodeMetrics } from '../../node/metrics.js'
import { Validator } from '../../node/validator/validator.js'
import { Prng } from '../sim/prng.js'
import { simChain } from '../sim/sim-genesis.js'
import { key } from '../support/corruption-tools.js'
import { CrashableDisk } from '../support/crashable-disk.js'
import { ManualClock } from '../support/manual-clock.js'

const dataDir = '/virtual/home/data'
const chain = simChain(new Prng(7), 4, 2)
const genesisAccounts = chain.genesis.accounts.map(({ address, balance }) => ({
  address,
  account: { balance, nonce: 0 },
}))

async function bootValidator(disk: CrashableDisk): Promise<Validator> {
  const ledger = await LedgerStore.open({
    dir: dataDir,
    database: disk.database('data'),
    chainId: chain.genesis.chainId,
    genesisHash: chain.hash,
    genesisStateRoot: chain.stateRoot,
    genesisAccounts,
  })
  const { store: safety } = await SafetyStore.open({
    dir: '/virtual/home/safety',
    database: disk.database('safety'),
    chainId: chain.genesis.chainId,
    genesisHash: chain.hash,
  })
  try {
    return await Validator.create(
      {
        clock: new ManualClock(0),
        network: { connectedPeers: () => [], send: () => false, broadcast: () => {}, penalize: () => {} },
        random: () => 0.5,
        signatures: nodeSignatureVerifier,
        logger: pino({ level: 'silent' }),
        metrics: new NodeMetrics(),
      },
      { ledger, safety, dataDir },
      {
        genesis: chain.genesis,
        consensusSecretKey: chain.consensusKeys[0]!.secretKey,
        blockIntervalMs: 100,
        createEmptyBlocks: false,
      },
    )
  } finally {
    await ledger.close()
    await safety.close()
  }
}

/** Puts a value with a valid checksum that does not decode under `rawKey` of the chain database. */
async function plant(disk: CrashableDisk, rawKey: Uint8Array): Promise<void> {
  const db = disk.database('data')
  await db.open()
  await db.put(rawKey, seal(rawKey, Uint8Array.of(0xff, 0x00, 0x13)))
  await db.close()
}

const undecodable: ReadonlyArray<{ readonly what: string; readonly rawKey: Uint8Array }> = [
  { what: 'a journaled mempool transaction', rawKey: key(Bucket.mempoolTx, new Uint8Array(32).fill(7)) },
  { what: 'an account', rawKey: key(Bucket.account, new Uint8Array(32).fill(8)) },
  {
    what: 'a piece of evidence',
    rawKey: key(Bucket.evidence, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1)),
  },
]

describe('corrupt data found at boot', () => {
  it('a clean home boots', async () => {
    const validator = await bootValidator(new CrashableDisk())
    await validator.close()
  })

  for (const { what, rawKey } of undecodable) {
    it(`${what} that does not decode: CorruptDataError with the recovery guidance`, async () => {
      const disk = new CrashableDisk()
      await (await bootValidator(disk)).close()
      await plant(disk, rawKey)
      const boot = bootValidator(disk)
      await expect(boot).rejects.toBeInstanceOf(CorruptDataError)
      await expect(boot).rejects.toThrow(
        /the data directory \/virtual\/home\/data is corrupt.*Keep \/virtual\/home\/safety/s,
      )
    })
  }
})
