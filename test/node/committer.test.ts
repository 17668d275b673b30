// The one commit path (consensus and block sync): it refuses a block whose state root is not the committed
// state root at the block's implied commit height, writing nothing, and a failed write leaves memory exactly as
// it was (the application state, the mempool, the head), so memory is never ahead of disk. The store is the real
// LedgerStore over the simulator's CrashableDisk, which can fail writes.

import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { encodeTx } from '../../ledger/codec/index.js'
import type { CommitRule } from '../../ledger/commit-rule.js'
import { blockHash, txHash, txRoot } from '../../ledger/hashing.js'
import { LedgerStore, StoreError } from '../../ledger/store/index.js'
import type { Block, Hash, QuorumCertificate, Tx } from '../../ledger/types.js'
import { BlockCommitter, StateDivergenceError } from '../../node/committer.js'
import {
  type CommittedBlock,
  childEntry,
  impliedCommitHeightOfChild,
  type TreeEntry,
} from '../../node/consensus/index.js'
import { CommittedTxIndex } from '../../node/mempool/committed-txs.js'
import { Mempool } from '../../node/mempool/mempool.js'
import { NodeMetrics } from '../../node/metrics.js'
import { loadTreeRoot } from '../../node/recovery.js'
import { CrashableDisk } from '../support/crashable-disk.js'

const chainId = 'committer-test'
const commitRule: CommitRule = 'three-chain'

function address(n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

const alice = address(1)
const bob = address(2)
const genesisAccounts = [{ address: alice, account: { balance: 1_000_000n, nonce: 0 } }]

function transfer(amount: bigint, nonce: number): Tx {
  return {
    chainId,
    from: alice,
    nonce,
    body: { kind: 'transfer', to: bob, amount },
    signature: new Uint8Array(64).fill(7),
  }
}

function qcFor(block: Block): QuorumCertificate {
  // The committer takes certified blocks; checking the signatures is consensus's and block sync's job.
  return { view: block.header.view, blockHash: blockHash(block.header), signers: [], signatures: [] }
}

const genesis: Block = {
  header: {
    height: 0,
    view: 0,
    parentHash: new Uint8Array(32),
    justify: { view: 0, blockHash: new Uint8Array(32), signers: [], signatures: [] },
    proposer: 0,
    timestampMs: 0,
    txRoot: txRoot([]),
    stateRoot: AccountsApp.fromAccounts(genesisAccounts).stateRoot(),
  },
  txs: [],
}

/**
 * An honest chain, built the way honest leaders build it: each block carries the committed state root at its
 * implied commit height, computed by a reference execution. The views skip now and then (timeouts), so the
 * commit rule commits in steps and the implied commit height climbs unevenly (the three-chain rule here: its
 * steps are the larger; the two-chain rule's arithmetic is in block-tree.test.ts and recovery.test.ts).
 */
class HonestChain {
  readonly views = [1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17]
  readonly blocks: CommittedBlock[] = []
  /** The state root after each height (index = height). */
  readonly roots: Hash[] = [genesis.header.stateRoot]
  readonly entries: TreeEntry[] = []

  constructor(genesisEntry: TreeEntry) {
    const reference = AccountsApp.fromAccounts(genesisAccounts)
    let entry = genesisEntry
    let justify = qcFor(genesis)
    for (const [index, view] of this.views.entries()) {
      const height = index + 1
      const txs = [transfer(BigInt(height), height - 1)]
      const block = childBlock(
        entry,
        view,
        justify,
        txs,
        this.roots[impliedCommitHeightOfChild(entry, commitRule)]!,
      )
      const hash = blockHash(block.header)
      justify = qcFor(block)
      this.blocks.push({ block, hash, qc: justify })
      this.roots.push(reference.executeBlock(txs, () => false).stateRoot)
      entry = childEntry(entry, block, hash, commitRule)
      this.entries.push(entry)
    }
  }

  /** The block at `height` (from 1). */
  at(height: number): CommittedBlock {
    return this.blocks[height - 1]!
  }
}

function childBlock(
  parent: TreeEntry,
  view: number,
  justify: QuorumCertificate,
  txs: Tx[],
  stateRoot: Hash,
): Block {
  return {
    header: {
      height: parent.block.header.height + 1,
      view,
      parentHash: parent.hash,
      justify,
      proposer: view % 4,
      timestampMs: parent.block.header.timestampMs + 1,
      txRoot: txRoot(txs),
      stateRoot,
    },
    txs,
  }
}

/** A copy of `committed` whose header carries `stateRoot`, certified as itself. */
function withStateRoot(committed: CommittedBlock, stateRoot: Hash): CommittedBlock {
  const block: Block = { ...committed.block, header: { ...committed.block.header, stateRoot } }
  return { block, hash: blockHash(block.header), qc: qcFor(block) }
}

async function setUp() {
  const disk = new CrashableDisk()
  const store = await LedgerStore.open({
    dir: '/sim/v0/data',
    database: disk.database('data'),
    chainId,
    genesisHash: blockHash(genesis.header),
    genesisStateRoot: genesis.header.stateRoot,
    genesisAccounts,
  })
  const app = AccountsApp.fromAccounts(genesisAccounts)
  const mempool = new Mempool({ txCountMax: 1_000, bytesMax: 1_048_576, nonceGapMax: 64 })
  const committed: number[] = []
  const root = await loadTreeRoot(store, genesis, { validatorCount: 1, commitRule })
  const committer = new BlockCommitter({
    store,
    app,
    mempool,
    committedTxs: new CommittedTxIndex(store),
    metrics: new NodeMetrics(),
    committedRoot: root,
    commitRule,
    onCommitted: ({ block }) => committed.push(block.header.height),
  })
  return { disk, store, app, mempool, committer, committed, chain: new HonestChain(root) }
}

function admit(mempool: Mempool, tx: Tx, app: AccountsApp): string {
  const hashHex = toHex(txHash(tx))
  const result = mempool.add({ tx, hashHex, bytes: encodeTx(tx).length }, app.account(tx.from))
  expect(result.ok).toBe(true)
  return hashHex
}

/** Everything a commit may change, as plain values to compare before and after. */
async function snapshot({ store, app, mempool, committer, committed }: Awaited<ReturnType<typeof setUp>>) {
  return {
    head: store.head(),
    accounts: app.accounts(),
    stateRoot: app.stateRoot(),
    mempoolSize: mempool.size,
    committedRoot: committer.committedRoot.hashHex,
    committed: [...committed],
  }
}

describe('BlockCommitter', () => {
  it('commits an honest chain: each state root checks out, and the store, app and committed root follow', async () => {
    const setup = await setUp()
    const { store, app, committer, chain } = setup
    expect(
      chain.entries.at(-1)!.impliedCommitHeight,
      'the chain exercises implied heights above 0',
    ).toBeGreaterThan(5)
    for (const [index, block] of chain.blocks.entries()) {
      const height = index + 1
      expect(await committer.commit(block)).toEqual(chain.roots[height])
      expect(store.head()).toEqual({ height, hash: block.hash, stateRoot: chain.roots[height] })
      expect(app.stateRoot()).toEqual(chain.roots[height])
      expect(committer.committedRoot).toEqual(chain.entries[index])
    }
    expect(setup.committed).toEqual(chain.blocks.map((_, index) => index + 1))
  })

  it('refuses a block whose state root is not the committed root at its implied commit height, writing nothing', async () => {
    const setup = await setUp()
    const { store, committer, chain } = setup
    const height = 10
    for (let h = 1; h < height; h++) await committer.commit(chain.at(h))
    const implied = chain.entries[height - 1]!.impliedCommitHeight
    expect(implied).toBeGreaterThan(1)
    // A plausible lie: a real committed root, of the height below.
    const lying = withStateRoot(chain.at(height), chain.roots[implied - 1]!)
    const before = await snapshot(setup)

    const error = await committer.commit(lying).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(StateDivergenceError)
    const divergence = error as StateDivergenceError
    expect(divergence.height).toBe(height)
    expect(divergence.impliedCommitHeight).toBe(implied)
    expect(divergence.expected).toEqual(chain.roots[implied])
    expect(divergence.found).toEqual(chain.roots[implied - 1])
    expect(divergence.message).toContain('Stop this validator')
    expect(await snapshot(setup)).toEqual(before)
    expect(await store.blockByHash(lying.hash)).toBeUndefined()
    expect(await store.hasTx(txHash(lying.block.txs[0]!))).toBe(false)
    expect(await store.stateRootAt(height)).toBeUndefined()

    // The honest block at that height still commits.
    expect(await committer.commit(chain.at(height))).toEqual(chain.roots[height])
  })

  it('a failed write leaves the app, the mempool, the head and the committed root as they were, and rethrows', async () => {
    const setup = await setUp()
    const { disk, app, mempool, committer, chain } = setup
    await committer.commit(chain.at(1))
    const next = chain.at(2)
    // Another tx with the nonce the block's tx uses (stale once the block commits), and a later one.
    const rival = admit(mempool, transfer(998n, next.block.txs[0]!.nonce), app)
    const later = admit(mempool, transfer(5n, next.block.txs[0]!.nonce + 1), app)
    const before = await snapshot(setup)

    disk.failWrites(new Error('EIO: i/o error, write'))
    const error = await committer.commit(next).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(StoreError)
    expect((error as StoreError).code).toBe('io')
    expect(await snapshot(setup)).toEqual(before)
    expect(mempool.has(rival) && mempool.has(later)).toBe(true)

    disk.failWrites(null)
    expect(await committer.commit(next)).toEqual(chain.roots[2])
    expect(app.stateRoot()).toEqual(chain.roots[2])
    expect([mempool.has(rival), mempool.has(later)]).toEqual([false, true])
  })

  it('drops a pending tx that a commit made stale from the mempool and from its journal', async () => {
    const { store, app, mempool, committer, chain } = await setUp()
    const block = chain.at(1)
    const rival = transfer(998n, block.block.txs[0]!.nonce)
    const later = transfer(5n, block.block.txs[0]!.nonce + 1)
    for (const tx of [rival, later]) admit(mempool, tx, app)
    await store.saveMempoolTxs([rival, later].map((tx) => ({ hash: txHash(tx), tx })))

    await committer.commit(block)
    expect([mempool.has(toHex(txHash(rival))), mempool.has(toHex(txHash(later)))]).toEqual([false, true])
    expect(await store.mempoolTxs()).toEqual([later])
  })

  it('refuses a block that does not extend the committed head, and a second commit while one is in flight', async () => {
    const { committer, chain } = await setUp()
    await expect(committer.commit(chain.at(2))).rejects.toMatchObject({ code: 'not-sequential' })
    const first = committer.commit(chain.at(1))
    await expect(committer.commit(chain.at(2))).rejects.toThrow(/another commit is in flight/)
    await first
    await committer.commit(chain.at(2))
    expect(committer.committedRoot).toEqual(chain.entries[1])
  })
})
