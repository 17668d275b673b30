import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { merkleRoot } from '../../crypto/merkle.js'
import { AccountsApp, accountLeaf, amountMax } from '../../ledger/app/index.js'
import { hashKey, txHash } from '../../ledger/hashing.js'
import { type Account, type Hash, ReceiptCode, type Tx } from '../../ledger/types.js'

function address(n: number): Uint8Array {
  const bytes = new Uint8Array(32)
  bytes[0] = n
  bytes[31] = 0xa0 + n
  return bytes
}

const alice = address(1)
const bob = address(2)
const carol = address(3)

function transfer(from: Uint8Array, to: Uint8Array, amount: bigint, nonce: number): Tx {
  return {
    chainId: 'test-chain',
    from,
    nonce,
    body: { kind: 'transfer', to, amount },
    signature: new Uint8Array(64),
  }
}

function appWith(...entries: Array<[Uint8Array, bigint]>): AccountsApp {
  return AccountsApp.fromAccounts(
    entries.map(([address, balance]) => ({ address, account: { balance, nonce: 0 } })),
  )
}

const nothingCommitted = (): boolean => false

describe('AccountsApp', () => {
  it('an unknown account has balance 0 and nonce 0', () => {
    expect(appWith().account(alice)).toEqual({ balance: 0n, nonce: 0 })
  })

  it('a valid transfer moves the amount, increments the sender nonce and reports both accounts', () => {
    const app = appWith([alice, 100n])
    const tx = transfer(alice, bob, 30n, 0)
    const result = app.executeBlock([tx], nothingCommitted)
    expect(result.receipts).toEqual([{ txHash: txHash(tx), code: ReceiptCode.ok, log: '' }])
    expect(app.account(alice)).toEqual({ balance: 70n, nonce: 1 })
    expect(app.account(bob)).toEqual({ balance: 30n, nonce: 0 })
    expect(result.changed).toEqual([
      { address: alice, account: { balance: 70n, nonce: 1 } },
      { address: bob, account: { balance: 30n, nonce: 0 } },
    ])
    expect(result.stateRoot).toEqual(app.stateRoot())
  })

  it('a nonce other than the account nonce gives badNonce and changes nothing', () => {
    const app = appWith([alice, 100n])
    const rootBefore = app.stateRoot()
    const result = app.executeBlock(
      [transfer(alice, bob, 1n, 1), transfer(alice, bob, 1n, 5)],
      nothingCommitted,
    )
    expect(result.receipts.map((receipt) => receipt.code)).toEqual([
      ReceiptCode.badNonce,
      ReceiptCode.badNonce,
    ])
    expect(result.changed).toEqual([])
    expect(result.stateRoot).toEqual(rootBefore)
    expect(app.account(alice)).toEqual({ balance: 100n, nonce: 0 })
  })

  it('a zero amount gives invalidAmount and does not consume the nonce', () => {
    const app = appWith([alice, 100n])
    const result = app.executeBlock(
      [transfer(alice, bob, 0n, 0), transfer(alice, bob, 5n, 0)],
      nothingCommitted,
    )
    expect(result.receipts.map((receipt) => receipt.code)).toEqual([
      ReceiptCode.invalidAmount,
      ReceiptCode.ok,
    ])
    expect(app.account(alice)).toEqual({ balance: 95n, nonce: 1 })
  })

  it('an amount above the balance gives insufficientFunds and changes nothing, not even the nonce', () => {
    const app = appWith([alice, 10n])
    const result = app.executeBlock([transfer(alice, bob, 11n, 0)], nothingCommitted)
    expect(result.receipts[0]?.code).toBe(ReceiptCode.insufficientFunds)
    expect(app.account(alice)).toEqual({ balance: 10n, nonce: 0 })
    expect(app.account(bob)).toEqual({ balance: 0n, nonce: 0 })
  })

  it('a tx committed in an earlier block gets duplicate and changes nothing', () => {
    const app = appWith([alice, 100n])
    const tx = transfer(alice, bob, 1n, 0)
    const committed = new Set([hashKey(txHash(tx))])
    const result = app.executeBlock([tx], (hash: Hash) => committed.has(hashKey(hash)))
    expect(result.receipts[0]).toEqual({
      txHash: txHash(tx),
      code: ReceiptCode.duplicate,
      log: 'transaction already committed',
    })
    expect(app.account(alice)).toEqual({ balance: 100n, nonce: 0 })
  })

  it('a tx repeated in the same block is a duplicate, even when its first copy failed', () => {
    const app = appWith([alice, 100n])
    const ok = transfer(alice, bob, 1n, 0)
    const failing = transfer(alice, bob, 1_000n, 1)
    const result = app.executeBlock([ok, ok, failing, failing], nothingCommitted)
    expect(result.receipts.map((receipt) => receipt.code)).toEqual([
      ReceiptCode.ok,
      ReceiptCode.duplicate,
      ReceiptCode.insufficientFunds,
      ReceiptCode.duplicate,
    ])
    expect(app.account(alice)).toEqual({ balance: 99n, nonce: 1 })
  })

  it('a transfer to oneself succeeds, moves nothing and consumes the nonce', () => {
    const app = appWith([alice, 100n])
    const result = app.executeBlock([transfer(alice, alice, 100n, 0)], nothingCommitted)
    expect(result.receipts[0]?.code).toBe(ReceiptCode.ok)
    expect(app.account(alice)).toEqual({ balance: 100n, nonce: 1 })
    expect(result.changed).toEqual([{ address: alice, account: { balance: 100n, nonce: 1 } }])
  })

  it('the state root covers exactly the non-empty accounts, sorted by address', () => {
    const app = AccountsApp.fromAccounts([
      { address: carol, account: { balance: 5n, nonce: 0 } },
      { address: alice, account: { balance: 7n, nonce: 2 } },
      { address: bob, account: { balance: 0n, nonce: 0 } },
    ])
    expect(app.stateRoot()).toEqual(
      merkleRoot([
        accountLeaf(alice, { balance: 7n, nonce: 2 }),
        accountLeaf(carol, { balance: 5n, nonce: 0 }),
      ]),
    )
    expect(appWith().stateRoot()).toEqual(merkleRoot([]))
  })

  it('the state root does not depend on the order accounts were loaded in', () => {
    const forward = appWith([alice, 1n], [bob, 2n], [carol, 3n])
    const backward = appWith([carol, 3n], [bob, 2n], [alice, 1n])
    expect(forward.stateRoot()).toEqual(backward.stateRoot())
  })

  it('fromAccounts refuses duplicate addresses', () => {
    expect(() => appWith([alice, 1n], [alice, 2n])).toThrow(/duplicate account/)
  })

  describe('checkTx (mempool admission)', () => {
    const app = AccountsApp.fromAccounts([{ address: alice, account: { balance: 50n, nonce: 3 } }])

    it('admits the next nonce and later ones up to the pending nonce', () => {
      expect(app.checkTx(transfer(alice, bob, 10n, 3))).toEqual({ code: ReceiptCode.ok, log: '' })
      expect(app.checkTx(transfer(alice, bob, 10n, 9)).code).toBe(ReceiptCode.ok)
      expect(app.checkTx(transfer(alice, bob, 10n, 5), 5).code).toBe(ReceiptCode.ok)
    })

    it('rejects a used nonce, and a nonce beyond the pending nonce (a gap)', () => {
      expect(app.checkTx(transfer(alice, bob, 10n, 2)).code).toBe(ReceiptCode.badNonce)
      expect(app.checkTx(transfer(alice, bob, 10n, 6), 5).code).toBe(ReceiptCode.badNonce)
    })

    it('rejects a zero amount and an amount above the committed balance', () => {
      expect(app.checkTx(transfer(alice, bob, 0n, 3)).code).toBe(ReceiptCode.invalidAmount)
      expect(app.checkTx(transfer(alice, bob, 51n, 3)).code).toBe(ReceiptCode.insufficientFunds)
      expect(app.checkTx(transfer(bob, alice, 1n, 0)).code).toBe(ReceiptCode.insufficientFunds)
    })

    it('never changes the state', () => {
      const rootBefore = app.stateRoot()
      app.checkTx(transfer(alice, bob, 10n, 3))
      expect(app.stateRoot()).toEqual(rootBefore)
      expect(app.account(alice)).toEqual({ balance: 50n, nonce: 3 })
    })
  })

  describe('execute computes a block over an overlay; apply makes it the state', () => {
    it('execute leaves the state as it was, and apply gives exactly the state execute reported', () => {
      const app = appWith([alice, 100n], [bob, 5n])
      const rootBefore = app.stateRoot()
      const execution = app.execute(
        [transfer(alice, carol, 30n, 0), transfer(bob, alice, 5n, 0)],
        nothingCommitted,
      )
      expect(execution.receipts.map((receipt) => receipt.code)).toEqual([ReceiptCode.ok, ReceiptCode.ok])
      expect(app.stateRoot()).toEqual(rootBefore)
      expect(app.accounts()).toEqual(appWith([alice, 100n], [bob, 5n]).accounts())
      expect(app.totalBalance()).toBe(105n)

      app.apply(execution)
      expect(app.stateRoot()).toEqual(execution.stateRoot)
      expect(app.account(alice)).toEqual({ balance: 75n, nonce: 1 })
      expect(app.account(bob)).toEqual({ balance: 0n, nonce: 1 })
      expect(app.account(carol)).toEqual({ balance: 30n, nonce: 0 })
      expect(execution.changed.map(({ address }) => address)).toEqual([alice, bob, carol])
    })

    it('apply refuses an execution computed on another state, and one applied already, changing nothing', () => {
      const app = appWith([alice, 100n])
      const first = app.execute([transfer(alice, bob, 10n, 0)], nothingCommitted)
      const rival = app.execute([transfer(alice, carol, 20n, 0)], nothingCommitted)
      const foreign = appWith([alice, 100n]).execute([transfer(alice, bob, 40n, 0)], nothingCommitted)
      app.apply(first)
      const rootAfterFirst = app.stateRoot()
      expect(() => app.apply(rival)).toThrow(/not computed on the current state/)
      expect(() => app.apply(first)).toThrow(/not computed on the current state/)
      expect(() => app.apply(foreign)).toThrow(/not computed on the current state/)
      expect(app.stateRoot()).toEqual(rootAfterFirst)
      expect(app.account(carol)).toEqual({ balance: 0n, nonce: 0 })
    })
  })

  it('a balance at the u64 maximum can be moved whole', () => {
    const app = appWith([alice, amountMax])
    const result = app.executeBlock([transfer(alice, bob, amountMax, 0)], nothingCommitted)
    expect(result.receipts[0]?.code).toBe(ReceiptCode.ok)
    expect(app.account(bob).balance).toBe(amountMax)
  })
})

// A random run: a few accounts, blocks of transfers whose nonces are mostly right, amounts sometimes too
// large or zero, and some txs repeated (within a block and across blocks).
const accountCount = 5
const txArbitrary = fc.record({
  from: fc.integer({ min: 0, max: accountCount - 1 }),
  to: fc.integer({ min: 0, max: accountCount - 1 }),
  amount: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 400n }), fc.bigInt({ min: 1n, max: 40n })),
  nonceOffset: fc.constantFrom(0, 0, 0, 0, -1, 1),
  repeat: fc.constantFrom(false, false, false, false, true),
})
const runArbitrary = fc.record({
  balances: fc.array(fc.bigInt({ min: 0n, max: 1_000n }), {
    minLength: accountCount,
    maxLength: accountCount,
  }),
  blocks: fc.array(fc.array(txArbitrary, { maxLength: 12 }), { maxLength: 8 }),
})

type Run = typeof runArbitrary extends fc.Arbitrary<infer T> ? T : never

function startApp(run: Run): AccountsApp {
  return AccountsApp.fromAccounts(
    run.balances.map((balance, index) => ({ address: address(index + 1), account: { balance, nonce: 0 } })),
  )
}

/** Turns a run into concrete blocks of txs, guessing nonces as if every earlier tx had succeeded. */
function buildBlocks(run: Run): Tx[][] {
  const guessedNonces = new Array<number>(accountCount).fill(0)
  const sent: Tx[] = []
  return run.blocks.map((block) =>
    block.map((spec) => {
      const earlier = sent[(spec.from * 7 + spec.to) % Math.max(1, sent.length)]
      if (spec.repeat && earlier !== undefined) return earlier
      const nonce = Math.max(0, (guessedNonces[spec.from] ?? 0) + spec.nonceOffset)
      guessedNonces[spec.from] = nonce + 1
      const tx = transfer(address(spec.from + 1), address(spec.to + 1), spec.amount, nonce)
      sent.push(tx)
      return tx
    }),
  )
}

function executeAll(app: AccountsApp, blocks: Tx[][]): { roots: Hash[]; codes: ReceiptCode[][] } {
  const committed = new Set<string>()
  const roots: Hash[] = []
  const codes: ReceiptCode[][] = []
  for (const block of blocks) {
    const result = app.executeBlock(block, (hash) => committed.has(hashKey(hash)))
    for (const receipt of result.receipts) {
      if (receipt.code !== ReceiptCode.duplicate) committed.add(hashKey(receipt.txHash))
    }
    roots.push(result.stateRoot)
    codes.push(result.receipts.map((receipt) => receipt.code))
  }
  return { roots, codes }
}

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31)

describe(`AccountsApp under random transfer sequences (fast-check seed=${seed}, rerun with FC_SEED)`, () => {
  it('conserves the total balance, and only successful txs change accounts', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const app = startApp(run)
        const total = app.totalBalance()
        const committed = new Set<string>()
        for (const block of buildBlocks(run)) {
          const before = new Map(app.accounts().map(({ address, account }) => [hashKey(address), account]))
          const result = app.executeBlock(block, (hash) => committed.has(hashKey(hash)))
          expect(app.totalBalance()).toBe(total)
          // Replaying the receipts on the previous state must give exactly the new state.
          const expected = new Map<string, Account>(before)
          block.forEach((tx, index) => {
            const receipt = result.receipts[index]
            expect(receipt?.txHash).toEqual(txHash(tx))
            if (receipt?.code !== ReceiptCode.duplicate) committed.add(hashKey(txHash(tx)))
            if (receipt?.code !== ReceiptCode.ok) return
            const from = expected.get(hashKey(tx.from)) ?? { balance: 0n, nonce: 0 }
            expect(tx.nonce).toBe(from.nonce)
            expected.set(hashKey(tx.from), { balance: from.balance - tx.body.amount, nonce: from.nonce + 1 })
            const to = expected.get(hashKey(tx.body.to)) ?? { balance: 0n, nonce: 0 }
            expected.set(hashKey(tx.body.to), { balance: to.balance + tx.body.amount, nonce: to.nonce })
          })
          for (const { address, account } of app.accounts()) {
            expect(account).toEqual(expected.get(hashKey(address)) ?? { balance: 0n, nonce: 0 })
            expect(account.balance >= 0n).toBe(true)
          }
          for (const { address, account } of result.changed) {
            expect(account).toEqual(app.account(address))
          }
        }
      }),
      { seed, numRuns: 200 },
    )
  })

  it('execute changes nothing until apply, and apply reaches exactly the root and accounts execute reported', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const app = startApp(run)
        const committed = new Set<string>()
        for (const block of buildBlocks(run)) {
          const rootBefore = app.stateRoot()
          const accountsBefore = app.accounts()
          const execution = app.execute(block, (hash) => committed.has(hashKey(hash)))
          expect(app.stateRoot()).toEqual(rootBefore)
          expect(app.accounts()).toEqual(accountsBefore)
          app.apply(execution)
          for (const receipt of execution.receipts) {
            if (receipt.code !== ReceiptCode.duplicate) committed.add(hashKey(receipt.txHash))
          }
          expect(app.stateRoot()).toEqual(execution.stateRoot)
          expect(AccountsApp.fromAccounts(app.accounts()).stateRoot()).toEqual(execution.stateRoot)
          for (const { address, account } of execution.changed) expect(app.account(address)).toEqual(account)
        }
      }),
      { seed, numRuns: 200 },
    )
  })

  it('is deterministic: the same txs from the same state give the same receipts and state roots', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const blocks = buildBlocks(run)
        const first = executeAll(startApp(run), blocks)
        const second = executeAll(startApp(run), blocks)
        expect(second).toEqual(first)
      }),
      { seed, numRuns: 100 },
    )
  })

  it('commits each tx hash at most once', () => {
    fc.assert(
      fc.property(runArbitrary, (run) => {
        const blocks = buildBlocks(run)
        const executed = new Set<string>()
        const { codes } = executeAll(startApp(run), blocks)
        blocks.forEach((block, blockIndex) => {
          block.forEach((tx, txIndex) => {
            if (codes[blockIndex]?.[txIndex] === ReceiptCode.duplicate) {
              expect(executed.has(hashKey(txHash(tx)))).toBe(true)
              return
            }
            expect(executed.has(hashKey(txHash(tx)))).toBe(false)
            executed.add(hashKey(txHash(tx)))
          })
        })
      }),
      { seed, numRuns: 100 },
    )
  })
})
