// The built-in application: accounts (Ed25519 public keys) with balances and nonces, and transfers.
// Execution is deterministic and never throws on bad input: a failed tx gets a failure receipt and changes
// nothing, not even the sender's nonce. Signatures are not checked here (the mempool and block validation do).

import { toHex } from '../../crypto/hex.js'
import { merkleRoot } from '../../crypto/merkle.js'
import { txHash } from '../hashing.js'
import type { Account, Hash, Receipt, Tx } from '../types.js'
import { ReceiptCode } from '../types.js'
import { accountLeaf, isAccountEmpty } from './account-leaf.js'

/** Balances and amounts are u64. */
export const amountMax = (1n << 64n) - 1n

export interface AccountEntry {
  readonly address: Uint8Array
  readonly account: Account
}

export interface CheckTxResult {
  readonly code: ReceiptCode
  readonly log: string
}

export interface BlockExecution {
  /** One receipt per tx, in block order. */
  readonly receipts: Receipt[]
  /** Every account whose balance or nonce changed, with its value after the block, sorted by address. */
  readonly changed: AccountEntry[]
  /** The state root after the block. */
  readonly stateRoot: Hash
}

interface Slot {
  readonly address: Uint8Array
  account: Account
  /** The cached state-root leaf; dropped whenever the account changes. */
  leaf: Uint8Array | undefined
}

/** What `apply` needs to know about an execution that `execute` returned. */
interface PendingExecution {
  /** The state version the execution read; applying it to any other state would corrupt it. */
  readonly baseVersion: number
  /** By hex address: the changed accounts with their new leaves. */
  readonly slots: ReadonlyMap<string, Slot>
}

const emptyAccount: Account = { balance: 0n, nonce: 0 }

/** Reads accounts; execution reads through an overlay, admission reads the committed state. */
interface AccountReader {
  account(address: Uint8Array): Account
}

/** The accounts a block execution changed, over the unchanged committed state. */
class Overlay implements AccountReader {
  readonly slots = new Map<string, Slot>()

  constructor(private readonly base: AccountReader) {}

  account(address: Uint8Array): Account {
    return this.slots.get(toHex(address))?.account ?? this.base.account(address)
  }

  set(address: Uint8Array, account: Account): void {
    this.slots.set(toHex(address), { address: address.slice(), account, leaf: undefined })
  }
}

export class AccountsApp {
  /** By lowercase hex address; hex order is byte order, which the state root relies on. */
  private readonly slots = new Map<string, Slot>()
  /** Counts applied executions, so an execution is applied only to the state it was computed on. */
  #version = 0
  readonly #pending = new WeakMap<BlockExecution, PendingExecution>()

  /** Builds the state from stored or genesis accounts. Duplicate addresses are a caller bug. */
  static fromAccounts(list: Iterable<AccountEntry>): AccountsApp {
    const app = new AccountsApp()
    for (const { address, account } of list) {
      const key = toHex(address)
      if (app.slots.has(key)) throw new RangeError(`AccountsApp.fromAccounts: duplicate account ${key}`)
      if (account.balance < 0n || account.balance > amountMax || !Number.isSafeInteger(account.nonce)) {
        throw new RangeError(`AccountsApp.fromAccounts: account ${key} is out of range`)
      }
      app.slots.set(key, { address: address.slice(), account, leaf: undefined })
    }
    return app
  }

  /** The account at `address`; an unknown account has balance 0 and nonce 0. */
  account(address: Uint8Array): Account {
    return this.slots.get(toHex(address))?.account ?? emptyAccount
  }

  /** Every known account, sorted by address. */
  accounts(): AccountEntry[] {
    return this.sortedSlots().map(({ address, account }) => ({ address: address.slice(), account }))
  }

  /** The sum of every balance; transfers conserve it. */
  totalBalance(): bigint {
    let total = 0n
    for (const slot of this.slots.values()) total += slot.account.balance
    return total
  }

  /**
   * Merkle root over the leaves of every non-empty account (balance or nonce nonzero), sorted by address
   * bytes, so it depends only on the state, never on the order the accounts were created in.
   */
  stateRoot(): Hash {
    return this.rootWith(new Map())
  }

  /**
   * Mempool admission against the committed state. Rules:
   * - the nonce must not be used already (>= the account nonce); when `pendingNonce` is given (the next nonce
   *   after the sender's pending txs), it must also be <= it, so the mempool never holds a nonce gap;
   * - the amount must be in 1..2^64-1;
   * - the sender's committed balance must cover the amount (pending txs are not subtracted: execution has the
   *   last word, a tx that turns out uncovered is committed with `insufficientFunds`);
   * - a transfer to oneself is allowed: it moves nothing and consumes the nonce (a way to cancel a pending tx).
   */
  checkTx(tx: Tx, pendingNonce?: number): CheckTxResult {
    const sender = this.account(tx.from)
    if (!Number.isSafeInteger(tx.nonce) || tx.nonce < sender.nonce) {
      return {
        code: ReceiptCode.badNonce,
        log: `nonce ${tx.nonce} already used (account nonce ${sender.nonce})`,
      }
    }
    if (pendingNonce !== undefined && tx.nonce > pendingNonce) {
      return {
        code: ReceiptCode.badNonce,
        log: `nonce ${tx.nonce} leaves a gap (next nonce ${pendingNonce})`,
      }
    }
    return checkTransfer(this, tx, sender)
  }

  /**
   * Executes a committed block's txs in order over an overlay of the state, leaving the state itself as it
   * was: the caller writes the result to disk and only then `apply`s it, so the state in memory is never ahead
   * of the state on disk. `isCommitted` answers whether a tx hash is already committed in an earlier block.
   */
  execute(txs: readonly Tx[], isCommitted: (txHash: Hash) => boolean): BlockExecution {
    const overlay = new Overlay(this)
    const receipts: Receipt[] = []
    const seen = new Set<string>()
    for (const tx of txs) {
      const hash = txHash(tx)
      const hashKey = toHex(hash)
      if (seen.has(hashKey) || isCommitted(hash)) {
        receipts.push({ txHash: hash, code: ReceiptCode.duplicate, log: 'transaction already committed' })
        continue
      }
      seen.add(hashKey)
      const result = applyTx(overlay, tx)
      receipts.push({ txHash: hash, code: result.code, log: result.log })
    }
    const changed = [...overlay.slots.keys()].sort().map((key) => {
      const slot = overlay.slots.get(key) as Slot
      return { address: slot.address.slice(), account: slot.account }
    })
    const execution: BlockExecution = { receipts, changed, stateRoot: this.rootWith(overlay.slots) }
    this.#pending.set(execution, { baseVersion: this.#version, slots: overlay.slots })
    return execution
  }

  /**
   * Makes an execution's changes the state. Throws (changing nothing) unless `execution` came from this app's
   * `execute` on the state as it is now, and was not applied yet.
   */
  apply(execution: BlockExecution): void {
    const pending = this.#pending.get(execution)
    if (pending === undefined || pending.baseVersion !== this.#version) {
      throw new Error('AccountsApp.apply: the execution was not computed on the current state')
    }
    for (const [key, slot] of pending.slots) this.slots.set(key, slot)
    this.#version++
    this.#pending.delete(execution)
  }

  /** Executes and applies at once, for callers with no write in between (tests and models). */
  executeBlock(txs: readonly Tx[], isCommitted: (txHash: Hash) => boolean): BlockExecution {
    const execution = this.execute(txs, isCommitted)
    this.apply(execution)
    return execution
  }

  /** The state root with `overlay`'s accounts in place of the state's; fills in every leaf it computes. */
  private rootWith(overlay: ReadonlyMap<string, Slot>): Hash {
    const keys = new Set(this.slots.keys())
    for (const key of overlay.keys()) keys.add(key)
    const leaves: Uint8Array[] = []
    for (const key of [...keys].sort()) {
      const slot = (overlay.get(key) ?? this.slots.get(key)) as Slot
      if (isAccountEmpty(slot.account)) continue
      slot.leaf ??= accountLeaf(slot.address, slot.account)
      leaves.push(slot.leaf)
    }
    return merkleRoot(leaves)
  }

  private sortedSlots(): Slot[] {
    return [...this.slots.keys()].sort().map((key) => this.slots.get(key) as Slot)
  }
}

function applyTx(overlay: Overlay, tx: Tx): CheckTxResult {
  const sender = overlay.account(tx.from)
  if (tx.nonce !== sender.nonce) {
    return { code: ReceiptCode.badNonce, log: `expected nonce ${sender.nonce}, got ${tx.nonce}` }
  }
  const check = checkTransfer(overlay, tx, sender)
  if (check.code !== ReceiptCode.ok) return check
  const { to, amount } = tx.body
  // Debit first, then read the recipient: for a transfer to oneself both steps hit the same account.
  overlay.set(tx.from, { balance: sender.balance - amount, nonce: sender.nonce + 1 })
  const recipient = overlay.account(to)
  overlay.set(to, { balance: recipient.balance + amount, nonce: recipient.nonce })
  return check
}

/** The amount and balance rules shared by admission and execution. */
function checkTransfer(accounts: AccountReader, tx: Tx, sender: Account): CheckTxResult {
  const { kind, to, amount } = tx.body
  // Logs stay short and fixed-form: receipts are stored and their log is bounded by the codec.
  if (kind !== 'transfer') return { code: ReceiptCode.invalidAmount, log: 'unknown transaction kind' }
  if (typeof amount !== 'bigint' || amount <= 0n || amount > amountMax) {
    return { code: ReceiptCode.invalidAmount, log: 'amount must be in 1..2^64-1' }
  }
  if (sender.balance < amount) {
    return { code: ReceiptCode.insufficientFunds, log: `balance ${sender.balance} < amount ${amount}` }
  }
  const selfTransfer = toHex(to) === toHex(tx.from)
  // Unreachable while the total supply fits in u64 (genesis checks it); kept so execution never throws.
  if (!selfTransfer && accounts.account(to).balance + amount > amountMax) {
    return { code: ReceiptCode.invalidAmount, log: 'recipient balance would exceed 2^64-1' }
  }
  return { code: ReceiptCode.ok, log: '' }
}
