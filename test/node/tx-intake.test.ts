// TxIntake over the real LedgerStore (on the simulator's CrashableDisk, which keeps across a power cut only
// what was synced): a transaction is on disk before its admission is answered, concurrent admissions share
// journal writes, a failed journal write fails every admission in it and leaves none of them in the mempool,
// and "already committed" survives a restart that empties memory, read from the tx index only then.

import { pino } from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { keyPairFromSecret, toHex } from '../../crypto/index.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import { LedgerStore } from '../../ledger/store/index.js'
import type { Hash, Tx } from '../../ledger/types.js'
import { buildTransfer, txHashHex } from '../../node/client/transfer.js'
import { BlockCommitter } from '../../node/committer.js'
import { AdmissionCode } from '../../node/mempool/admission.js'
import { CommittedTxIndex } from '../../node/mempool/committed-txs.js'
import { Mempool } from '../../node/mempool/mempool.js'
import { NodeMetrics } from '../../node/metrics.js'
import { loadTreeRoot } from '../../node/recovery.js'
import { TxVerifier } from '../../node/tx-verifier.js'
import { TxIntake } from '../../node/validator/tx-intake.js'
import { CrashableDisk } from '../support/crashable-disk.js'
import { oneValidatorChain, ReferenceChain, testGenesis } from '../support/reference-chain.js'

const chainId = 'tx-intake-test'
const senders = Array.from({ length: 8 }, (_, index) => keyPairFromSecret(new Uint8Array(32).fill(index + 1)))
const recipient = new Uint8Array(32).fill(0xee)
const genesisAccounts = senders.map(({ publicKey }) => ({
  address: publicKey,
  account: { balance: 1_000n, nonce: 0 },
}))
const genesis = testGenesis(genesisAccounts)

function transfer(sender: number, nonce: number, amount = 10n): Tx {
  return buildTransfer({ chainId, keyPair: senders[sender]!, to: recipient, amount, nonce })
}

/** A validator's admission and commit path over `disk`, as it boots (the journal is restored). */
async function boot(disk: CrashableDisk) {
  const store = await LedgerStore.open({
    dir: '/sim/v0/data',
    database: disk.database('data'),
    chainId,
    genesisHash: blockHash(genesis.header),
    genesisStateRoot: genesis.header.stateRoot,
    genesisAccounts,
  })
  const app = AccountsApp.fromAccounts(await store.allAccounts())
  const mempool = new Mempool({ txCountMax: 1_000, bytesMax: 1_048_576, nonceGapMax: 16 })
  const metrics = new NodeMetrics()
  const committedTxs = new CommittedTxIndex(store)
  const intake = new TxIntake({
    chainId,
    mempool,
    app,
    ledger: store,
    txVerifier: new TxVerifier(chainId),
    committedTxs,
    metrics,
    logger: pino({ level: 'silent' }),
    gossip: () => {},
  })
  const committer = new BlockCommitter({
    store,
    app,
    mempool,
    committedTxs,
    metrics,
    committedRoot: await loadTreeRoot(store, genesis, oneValidatorChain),
    commitRule: oneValidatorChain.commitRule,
    onCommitted: () => {},
  })
  await intake.restore()
  return { store, app, mempool, intake, committer }
}

/** Holds each of the store's journal writes until released, recording each batch's tx hashes. */
function gateJournalWrites(store: LedgerStore) {
  const write = store.saveMempoolTxs.bind(store)
  const batches: string[][] = []
  const landed: string[][] = []
  let open = false
  const held: Array<() => void> = []
  vi.spyOn(store, 'saveMempoolTxs').mockImplementation(async (txs) => {
    const hashes = txs.map(({ hash }) => toHex(hash))
    batches.push(hashes)
    if (!open) await new Promise<void>((resolve) => held.push(resolve))
    await write(txs)
    landed.push(hashes)
  })
  return {
    batches,
    landed,
    /** Lets the oldest held write go on to the store. */
    releaseOne: () => held.shift()?.(),
    /** Lets every write, held or later, go on. */
    releaseAll: () => {
      open = true
      for (const resume of held.splice(0)) resume()
    },
  }
}

/** Lets callbacks run (signature checks on the libuv pool, storage) until `done`; fails if it never is. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let round = 0; round < 100_000; round++) {
    if (done()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`never: ${what}`)
}

describe('TxIntake and the mempool journal', () => {
  it('answers no admission before its journal write is on disk; concurrent admissions share writes', async () => {
    const disk = new CrashableDisk()
    const { store, intake, mempool } = await boot(disk)
    const gate = gateJournalWrites(store)
    const txs = senders.flatMap((_, sender) => [transfer(sender, 0), transfer(sender, 1)])
    const answered = new Set<string>()
    const admissions = txs.map((tx) =>
      intake.admit(encodeTx(tx)).then((result) => {
        expect(result.code).toBe(AdmissionCode.ok)
        answered.add(result.hashHex!)
      }),
    )
    // Every tx passes admission into the mempool, then waits for the journal: none is answered yet.
    await until(() => mempool.size === txs.length, 'every tx in the mempool')
    await until(() => gate.batches.length > 0, 'a journal write')
    expect(answered.size).toBe(0)
    gate.releaseAll()
    await Promise.all(admissions)
    // Each admission was answered after the write of its batch landed, and every tx is in exactly one batch.
    expect(gate.landed.flat().sort()).toEqual(txs.map(txHashHex).sort())
    // One write held the first admission(s); everything admitted meanwhile went into the next one.
    expect(gate.batches.length).toBeLessThanOrEqual(2)
    // Durable: a power cut right after the answers keeps every acknowledged tx in the journal.
    disk.crash()
    const after = await boot(disk)
    expect((await after.store.mempoolTxs()).map(txHashHex).sort()).toEqual(txs.map(txHashHex).sort())
    expect(after.mempool.size).toBe(txs.length)
    await after.store.close()
  })

  it('a failed journal write fails every admission in its batch and leaves none of them in the mempool', async () => {
    const disk = new CrashableDisk()
    const { store, intake, mempool } = await boot(disk)
    const gate = gateJournalWrites(store)
    const first = intake.admit(encodeTx(transfer(0, 0)))
    await until(() => gate.batches.length === 1, 'the first journal write')
    // These arrive while the first write is held: they go into the next batch.
    const failing = [transfer(1, 0), transfer(2, 0), transfer(3, 0)]
    const admissions = failing.map((tx) =>
      intake.admit(encodeTx(tx)).then(
        () => 'answered',
        () => 'failed',
      ),
    )
    await until(() => mempool.size === 4, 'every tx in the mempool')
    gate.releaseOne()
    expect((await first).code).toBe(AdmissionCode.ok)
    await until(() => gate.batches.length === 2, 'the second journal write')
    expect(gate.batches[1]!.sort()).toEqual(failing.map(txHashHex).sort())
    disk.failWrites(new Error('disk full'))
    gate.releaseOne()
    expect(await Promise.all(admissions)).toEqual(['failed', 'failed', 'failed'])
    expect(mempool.size).toBe(1)
    for (const tx of failing) expect(mempool.has(txHashHex(tx))).toBe(false)
    disk.failWrites(null)
    gate.releaseAll()
    // Offered again once the disk works, they are admitted (nothing of the failed batch is held anywhere).
    for (const tx of failing) expect((await intake.admit(encodeTx(tx))).code).toBe(AdmissionCode.ok)
    expect(mempool.size).toBe(4)
    await store.close()
  })
})

describe('TxIntake: already committed, before and after a restart', () => {
  it('a committed tx offered again is alreadyCommitted (13), from memory, and after a restart from the tx index', async () => {
    const disk = new CrashableDisk()
    let node = await boot(disk)
    const reference = new ReferenceChain(
      genesisAccounts,
      await loadTreeRoot(node.store, genesis, oneValidatorChain),
    )
    const executed = transfer(0, 0)
    const failed = transfer(1, 0, 5_000n) // more than the balance: committed with a failure, nonce unused
    for (const tx of [executed, failed]) {
      expect((await node.intake.admit(encodeTx(tx))).code).toBe(
        tx === failed ? AdmissionCode.rejectedByApp : AdmissionCode.ok,
      )
    }
    // A leader (not this one) proposed the unfunded transfer anyway; it commits with a failure receipt.
    await node.committer.commit(reference.next([executed, failed]).committed)
    const staleNeverCommitted = transfer(0, 0, 11n)
    const fresh = [transfer(0, 1), transfer(1, 0, 7n)]

    const hasTx = vi.spyOn(node.store, 'hasTx')
    expect((await node.intake.admit(encodeTx(executed))).code).toBe(AdmissionCode.alreadyCommitted)
    expect((await node.intake.admit(encodeTx(failed))).code).toBe(AdmissionCode.alreadyCommitted)
    expect(hasTx).not.toHaveBeenCalled()

    await node.store.close()
    node = await boot(disk)
    const reads = vi.spyOn(node.store, 'hasTx')
    expect((await node.intake.admit(encodeTx(executed))).code).toBe(AdmissionCode.alreadyCommitted)
    expect((await node.intake.admit(encodeTx(failed))).code).toBe(AdmissionCode.alreadyCommitted)
    expect((await node.intake.admit(encodeTx(staleNeverCommitted))).code).toBe(AdmissionCode.badNonce)
    expect(reads).toHaveBeenCalledTimes(3)
    const readHashes = reads.mock.calls.map(([hash]: [Hash]) => toHex(hash))
    expect(readHashes).toEqual([executed, failed, staleNeverCommitted].map((tx) => toHex(txHash(tx))))
    // Fresh transactions, one of them at the failed tx's nonce, are admitted; only that one is read.
    for (const tx of fresh) expect((await node.intake.admit(encodeTx(tx))).code).toBe(AdmissionCode.ok)
    expect(reads).toHaveBeenCalledTimes(4)
    await node.store.close()
  })
})
