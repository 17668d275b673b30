// loadTreeRoot against a real LedgerStore (LevelDB in a temp dir): after each commit of a chain with known
// views, the root it rebuilds must equal the entry the core computed for the same block in memory, from the
// genesis entry through childEntry (parentView, grandparentView, impliedCommitHeight, block and hash), under
// each commit rule.
// Blocks carry no txs, so the state (and its root) stays the genesis state: receipts and changed accounts are
// empty and every stateRoot is the genesis state root. Seeded (QUORATE_SEED overrides).

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type CommitRule, commitRules } from '../../ledger/commit-rule.js'
import { blockHash } from '../../ledger/hashing.js'
import { type CommitRecord, LedgerStore } from '../../ledger/store/index.js'
import type { Block, QuorumCertificate } from '../../ledger/types.js'
import { childEntry, type TreeEntry } from '../../node/consensus/index.js'
import { loadTreeRoot } from '../../node/recovery.js'
import { propertyParameters } from '../support/arbitraries.js'
import { ConsensusFixture } from '../support/consensus-fixture.js'

const fx = new ConsensusFixture(0)

function genesisEntry(): TreeEntry {
  const entry = fx.state.tree.get(fx.state.rootHashHex)
  if (entry === undefined) throw new Error('the fixture has no root entry')
  return entry
}

async function openStore(dir: string): Promise<LedgerStore> {
  return LedgerStore.open({
    dir,
    chainId: fx.chainId,
    genesisHash: fx.genesisHash,
    genesisStateRoot: fx.genesisStateRoot,
  })
}

/** Commits blocks in the given views, the way the node does; `entry` is what the core computed in memory. */
class CommittedChain {
  entry: TreeEntry = genesisEntry()
  #justify: QuorumCertificate = fx.genesisQC

  constructor(
    readonly store: LedgerStore,
    readonly commitRule: CommitRule,
  ) {}

  async commit(view: number): Promise<void> {
    const block: Block = fx.child(this.entry.block, view, this.#justify)
    const hash = blockHash(block.header)
    const qc = fx.qcFor(block)
    const record: CommitRecord = {
      block,
      hash,
      qc,
      receipts: [],
      accounts: [],
      stateRoot: fx.genesisStateRoot,
    }
    await this.store.commitBlock(record)
    this.entry = childEntry(this.entry, block, hash, this.commitRule)
    this.#justify = qc
  }
}

/** Strictly increasing views from view steps (a step above 1 is a view that ended by timeout). */
function viewsFrom(steps: readonly number[]): number[] {
  let view = 0
  return steps.map((step) => {
    view += step
    return view
  })
}

/** Hand-counted implied commit heights of the chains below, per rule. */
const expected: Record<CommitRule, { readonly implied: number[]; readonly afterRestart: number }> = {
  // The block at height h carries h' - 2 for the highest h' < h ending three consecutive views.
  'three-chain': { implied: [0, 0, 0, 1, 2, 2, 2, 2, 2, 7, 7, 7, 7, 11, 12], afterRestart: 4 },
  // The block at height h carries h' - 1 for the highest h' < h ending two consecutive views.
  'two-chain': { implied: [0, 0, 1, 2, 3, 3, 5, 5, 7, 8, 8, 8, 11, 12, 13], afterRestart: 5 },
}

describe.each(commitRules)('loadTreeRoot, %s', (commitRule) => {
  const shape = { validatorCount: fx.validators.length, commitRule }
  let dir = ''
  let store: LedgerStore | undefined

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-recovery-'))
  })

  afterEach(async () => {
    await store?.close()
    store = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('on a fresh store, is the genesis entry the core starts from', async () => {
    store = await openStore(dir)
    expect(await loadTreeRoot(store, fx.genesis, shape)).toEqual(genesisEntry())
  })

  it('after every commit, equals the entry the core computed in memory', async () => {
    store = await openStore(dir)
    const chain = new CommittedChain(store, commitRule)
    // Runs of consecutive views broken by timeouts, so commits are implied at several depths.
    const views = [1, 2, 3, 4, 6, 7, 9, 10, 11, 13, 15, 16, 17, 18, 20]
    const implied: number[] = []
    for (const view of views) {
      await chain.commit(view)
      const loaded = await loadTreeRoot(store, fx.genesis, shape)
      expect(loaded, `after committing view ${view}`).toEqual(chain.entry)
      implied.push(loaded.impliedCommitHeight)
    }
    expect(implied).toEqual(expected[commitRule].implied)
  })

  it('after a restart (store closed and reopened), rebuilds the same root', async () => {
    store = await openStore(dir)
    const chain = new CommittedChain(store, commitRule)
    for (const view of [1, 2, 3, 5, 6, 7, 8]) await chain.commit(view)
    await store.close()
    store = await openStore(dir)
    const loaded = await loadTreeRoot(store, fx.genesis, shape)
    expect(loaded).toEqual(chain.entry)
    expect(loaded).toMatchObject({
      parentView: 7,
      grandparentView: 6,
      impliedCommitHeight: expected[commitRule].afterRestart,
    })
  })

  it('refuses a genesis block that is not the one the store was created with', async () => {
    store = await openStore(dir)
    const otherGenesis: Block = { ...fx.genesis, header: { ...fx.genesis.header, timestampMs: 1 } }
    await expect(loadTreeRoot(store, otherGenesis, shape)).rejects.toThrow(/head hash/)
  })

  it('on random view sequences, equals the in-memory entry after every commit', async () => {
    const arbitrarySteps = fc.array(
      fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 3 })),
      {
        minLength: 1,
        maxLength: 16,
      },
    )
    await fc.assert(
      fc.asyncProperty(arbitrarySteps, async (steps) => {
        const runDir = await mkdtemp(join(tmpdir(), 'quorate-recovery-run-'))
        const runStore = await openStore(runDir)
        try {
          const chain = new CommittedChain(runStore, commitRule)
          for (const view of viewsFrom(steps)) {
            await chain.commit(view)
            expect(await loadTreeRoot(runStore, fx.genesis, shape)).toEqual(chain.entry)
          }
        } finally {
          await runStore.close()
          await rm(runDir, { recursive: true, force: true })
        }
      }),
      propertyParameters(15),
    )
  })
})
