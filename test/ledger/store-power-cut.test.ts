// What the ledger store keeps through a power cut, run as the simulator runs it: the real LedgerStore over the
// CrashableDisk. Commits, pending blocks and the mempool journal are synced; forgetting journaled txs is not
// (a forgotten tx that comes back is admitted again and dropped then).

import { describe, expect, it } from 'vitest'
import { sha256 } from '../../crypto/hash.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import { LedgerStore } from '../../ledger/store/index.js'
import type { Block, Tx } from '../../ledger/types.js'
import { CrashableDisk } from '../support/crashable-disk.js'
import { plainBlock } from '../support/reference-chain.js'

const chainId = 'power-cut-test'
const alice = new Uint8Array(32).fill(1)
const genesisAccounts = [{ address: alice, account: { balance: 1_000n, nonce: 0 } }]
const genesisStateRoot = AccountsApp.fromAccounts(genesisAccounts).stateRoot()
const genesisHash = sha256(new TextEncoder().encode('genesis'))

function transfer(nonce: number): Tx {
  return {
    chainId,
    from: alice,
    nonce,
    body: { kind: 'transfer', to: new Uint8Array(32).fill(2), amount: 1n },
    signature: new Uint8Array(64).fill(7),
  }
}

function open(disk: CrashableDisk): Promise<LedgerStore> {
  return LedgerStore.open({
    dir: '/sim/v0/data',
    database: disk.database('data'),
    chainId,
    genesisHash,
    genesisStateRoot,
    genesisAccounts,
  })
}

function blockAt(height: number, parentHash: Uint8Array, txs: Tx[] = []): Block {
  return plainBlock(height, parentHash, txs, genesisStateRoot)
}

describe('LedgerStore through a power cut', () => {
  it('keeps a commit, and the pending block that came after it (the vote that follows syncs another database)', async () => {
    const disk = new CrashableDisk()
    const store = await open(disk)
    const first = blockAt(1, genesisHash)
    const hash = blockHash(first.header)
    const qc = { view: 1, blockHash: hash, signers: [], signatures: [] }
    await store.commitBlock({
      block: first,
      hash,
      qc,
      receipts: [],
      accounts: [],
      stateRoot: genesisStateRoot,
    })
    const pending = blockAt(2, hash)
    await store.savePendingBlock(pending, blockHash(pending.header))
    disk.crash()

    const after = await open(disk)
    expect(after.head()).toEqual({ height: 1, hash, stateRoot: genesisStateRoot })
    expect(await after.pendingBlocks()).toEqual([pending])
  })

  it('keeps journaled txs, and may bring back one it forgot after the last sync', async () => {
    const disk = new CrashableDisk()
    const store = await open(disk)
    const txs = [transfer(0), transfer(1)]
    await store.saveMempoolTxs(txs.map((tx) => ({ hash: txHash(tx), tx })))
    await store.deleteMempoolTxs([txHash(txs[0]!)])
    expect(await store.mempoolTxs()).toEqual([txs[1]])
    disk.crash()

    const after = await open(disk)
    const byNonce = (a: Tx, b: Tx) => a.nonce - b.nonce
    expect((await after.mempoolTxs()).sort(byNonce)).toEqual(txs)
  })
})
