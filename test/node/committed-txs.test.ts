// "Is this tx committed?" answered from memory (CommittedTxIndex over the store's failed-nonce index): whenever
// memory answers, the answer is the tx index's, for executed, failed, duplicate, stale and fresh transactions,
// across restarts; a fresh tx (the common path) never costs a read of the tx index, in admission as in the
// committer; and the committer, which now asks memory first, writes exactly the receipts a reference execution
// with the exact set of committed hashes gives.

import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import { LedgerStore } from '../../ledger/store/index.js'
import { type Receipt, ReceiptCode, type Tx } from '../../ledger/types.js'
import { BlockCommitter } from '../../node/committer.js'
import {
  CommittedTxIndex,
  type FailedNonceSource,
  recentCommittedTxCountMax,
} from '../../node/mempool/committed-txs.js'
import { Mempool } from '../../node/mempool/mempool.js'
import { NodeMetrics } from '../../node/metrics.js'
import { loadTreeRoot } from '../../node/recovery.js'
import { propertyParameters } from '../support/arbitraries.js'
import { CrashableDisk } from '../support/crashable-disk.js'
import { oneValidatorChain, ReferenceChain, testGenesis } from '../support/reference-chain.js'

const chainId = 'committed-txs-test'

function address(n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

const senders = [address(1), address(2), address(3), address(4)]
const recipient = address(9)
const genesisAccounts = senders.map((sender, index) => ({
  address: sender,
  account: { balance: 100n * BigInt(index), nonce: 0 },
}))
const genesis = testGenesis(genesisAccounts)

function transfer(from: Uint8Array, nonce: number, amount: bigint): Tx {
  return {
    chainId,
    from,
    nonce,
    body: { kind: 'transfer', to: recipient, amount },
    signature: new Uint8Array(64).fill(7),
  }
}

function receipt(tx: Tx, code: ReceiptCode): Receipt {
  return { txHash: txHash(tx), code, log: '' }
}

/** A failed-nonce source over a map (sender hex → highest failed nonce); `partial`: unknown senders unknown. */
function failedNonces(known: Record<string, number> = {}, partial = false): FailedNonceSource {
  return {
    failedNonceMax: (sender) => known[toHex(sender)] ?? (partial ? undefined : -1),
  }
}

describe('CommittedTxIndex.lookup', () => {
  const alice = senders[0]!
  const aliceNonce = 5

  it('a fresh tx (nonce at or above the committed nonce, no failed nonce that high) is not committed', () => {
    const index = new CommittedTxIndex(failedNonces({ [toHex(alice)]: 6 }))
    const fresh = transfer(alice, 7, 1n)
    expect(index.lookup(fresh, toHex(txHash(fresh)), aliceNonce)).toBe('not-committed')
    const other = transfer(senders[1]!, 0, 1n)
    expect(index.lookup(other, toHex(txHash(other)), 0)).toBe('not-committed')
  })

  it('a used nonce, a nonce at or below a failed one, or a sender memory does not hold: unknown (read the index)', () => {
    const index = new CommittedTxIndex(failedNonces({ [toHex(alice)]: 6 }, true))
    for (const nonce of [0, aliceNonce - 1, aliceNonce, 6]) {
      const tx = transfer(alice, nonce, 1n)
      expect(index.lookup(tx, toHex(txHash(tx)), aliceNonce), `nonce ${nonce}`).toBe('unknown')
    }
    expect(index.lookup(transfer(alice, 7, 1n), toHex(txHash(transfer(alice, 7, 1n))), aliceNonce)).toBe(
      'not-committed',
    )
    const notHeld = transfer(senders[1]!, 3, 1n)
    expect(index.lookup(notHeld, toHex(txHash(notHeld)), 0)).toBe('unknown')
  })

  it('a recently committed tx is committed, executed or failed, but not one that was a duplicate', () => {
    const index = new CommittedTxIndex(failedNonces())
    const executed = transfer(alice, 4, 1n)
    const failed = transfer(alice, 5, 1_000n)
    const duplicate = transfer(alice, 3, 1n)
    index.beginCommit([executed, failed, duplicate].map((tx) => toHex(txHash(tx))))
    index.endCommit([
      receipt(executed, ReceiptCode.ok),
      receipt(failed, ReceiptCode.insufficientFunds),
      receipt(duplicate, ReceiptCode.duplicate),
    ])
    expect(index.lookup(executed, toHex(txHash(executed)), aliceNonce)).toBe('committed')
    expect(index.lookup(failed, toHex(txHash(failed)), aliceNonce)).toBe('committed')
    expect(index.lookup(duplicate, toHex(txHash(duplicate)), aliceNonce)).toBe('unknown')
  })

  it(`keeps the newest ${recentCommittedTxCountMax} by default, forgetting the oldest first`, () => {
    const index = new CommittedTxIndex(failedNonces(), 3)
    const txs = [0, 1, 2, 3].map((nonce) => transfer(alice, nonce, 1n))
    for (const tx of txs) {
      index.beginCommit([toHex(txHash(tx))])
      index.endCommit([receipt(tx, ReceiptCode.ok)])
    }
    const answers = txs.map((tx) => index.lookup(tx, toHex(txHash(tx)), aliceNonce))
    expect(answers).toEqual(['unknown', 'committed', 'committed', 'committed'])
  })

  it('while a block is being written its txs are unknown, and again not committed if the write failed', () => {
    const index = new CommittedTxIndex(failedNonces())
    const tx = transfer(alice, aliceNonce, 1n)
    const hashHex = toHex(txHash(tx))
    expect(index.lookup(tx, hashHex, aliceNonce)).toBe('not-committed')
    index.beginCommit([hashHex])
    expect(index.lookup(tx, hashHex, aliceNonce)).toBe('unknown')
    index.abandonCommit()
    expect(index.lookup(tx, hashHex, aliceNonce)).toBe('not-committed')
  })
})

/** One tx of a generated block: from a sender, at its next nonce plus an offset, or an earlier tx again. */
interface TxPlan {
  readonly sender: number
  readonly nonceOffset: number
  readonly amount: bigint
  /** When set, resubmit the earlier generated tx with this index (modulo their count) instead. */
  readonly replay: number | null
}

const arbitraryTxPlan: fc.Arbitrary<TxPlan> = fc.record({
  sender: fc.nat(senders.length - 1),
  nonceOffset: fc.integer({ min: -2, max: 3 }),
  // Balances are 0, 100, 200 and 300: some transfers fail for want of funds, and leave the nonce unused.
  amount: fc.constantFrom(1n, 20n, 150n, 1_000n),
  replay: fc.option(fc.nat(), { freq: 4 }),
})

/** A validator's commit path (store, app, index, committer) over `disk`, as it boots after a stop. */
async function openCommitPath(disk: CrashableDisk, recentCountMax: number) {
  const store = await LedgerStore.open({
    dir: '/sim/v0/data',
    database: disk.database('data'),
    chainId,
    genesisHash: blockHash(genesis.header),
    genesisStateRoot: genesis.header.stateRoot,
    genesisAccounts,
  })
  const app = AccountsApp.fromAccounts(await store.allAccounts())
  const committedTxs = new CommittedTxIndex(store, recentCountMax)
  const committer = new BlockCommitter({
    store,
    app,
    mempool: new Mempool({ txCountMax: 1_000, bytesMax: 1_048_576, nonceGapMax: 64 }),
    committedTxs,
    metrics: new NodeMetrics(),
    committedRoot: await loadTreeRoot(store, genesis, oneValidatorChain),
    commitRule: oneValidatorChain.commitRule,
    onCommitted: () => {},
  })
  return { store, app, committedTxs, committer }
}

describe('the commit path with the in-memory index', () => {
  it('answers exactly whenever memory answers, writes the reference receipts, and survives restarts (randomized)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(arbitraryTxPlan, { maxLength: 6 }), { minLength: 1, maxLength: 12 }),
        fc.nat(11),
        fc.constantFrom(2, 8, recentCommittedTxCountMax),
        async (blockPlans, restartAfter, recentCountMax) => {
          const disk = new CrashableDisk()
          let path = await openCommitPath(disk, recentCountMax)
          const reference = new ReferenceChain(
            genesisAccounts,
            await loadTreeRoot(path.store, genesis, oneValidatorChain),
          )
          const generated: Tx[] = []
          for (const [height, plans] of blockPlans.entries()) {
            const txs = plans.map((plan) => {
              if (plan.replay !== null && generated.length > 0)
                return generated[plan.replay % generated.length]!
              const sender = senders[plan.sender]!
              const nonce = Math.max(0, reference.app.account(sender).nonce + plan.nonceOffset)
              const tx = transfer(sender, nonce, plan.amount)
              generated.push(tx)
              return tx
            })
            const { committed, receipts } = reference.next(txs)
            await path.committer.commit(committed)
            for (const [index, expected] of receipts.entries()) {
              if (expected.code === ReceiptCode.duplicate) continue
              expect(await path.store.receipt(expected.txHash), `height ${height + 1} tx ${index}`).toEqual(
                expected,
              )
            }
            for (const tx of generated) {
              const hashHex = toHex(txHash(tx))
              const actual = reference.committed.has(hashHex)
              expect(await path.store.hasTx(txHash(tx))).toBe(actual)
              const answer = path.committedTxs.lookup(tx, hashHex, path.app.account(tx.from).nonce)
              if (answer !== 'unknown') expect(answer, hashHex).toBe(actual ? 'committed' : 'not-committed')
            }
            if (height === restartAfter) {
              await path.store.close()
              path = await openCommitPath(disk, recentCountMax)
            }
          }
          await path.store.close()
        },
      ),
      propertyParameters(40),
    )
  })

  it('commits a block of fresh transactions without reading the tx index', async () => {
    const disk = new CrashableDisk()
    const { store, committer } = await openCommitPath(disk, recentCommittedTxCountMax)
    const reference = new ReferenceChain(
      genesisAccounts,
      await loadTreeRoot(store, genesis, oneValidatorChain),
    )
    const hasTx = vi.spyOn(store, 'hasTx')
    // Executed and failed (sender 0 has no funds) transfers, each at its sender's next nonce.
    const txs = senders.flatMap((sender) => [transfer(sender, 0, 10n), transfer(sender, 1, 10n)])
    const { committed, receipts } = reference.next(txs)
    expect(receipts.map((r) => r.code)).toContain(ReceiptCode.insufficientFunds)
    await committer.commit(committed)
    // The next block: sender 0 retries nonce 0 (at its failed nonce: that one is read), the others go on.
    const next = reference.next([transfer(senders[0]!, 0, 5n), transfer(senders[1]!, 2, 1n)])
    await committer.commit(next.committed)
    expect(hasTx).toHaveBeenCalledTimes(1)
    await store.close()
  })
})
