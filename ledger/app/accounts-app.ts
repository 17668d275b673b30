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

const emptyAccount: Account = { balance: 0n, nonce: 0 }

export class AccountsApp {
  /** By lowercase hex address; hex order is byte order, which the state root relies on. */
  private readonly slots = new Map<string, Slot>()

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
    const leaves: Uint8Array[] = []
    for (const slot of this.sortedSlots()) {
      if (isAccountEmpty(slot.account)) continue
      slot.leaf ??= accountLeaf(slot.address, slot.account)
      leaves.push(slot.leaf)
    }
    return merkleRoot(leaves)
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
    return this.checkTransfer(tx, sender)
  }

  /**
   * Executes a committed block's txs in order and applies them to the state. `isCommitted` answers whether a tx
   * hash is already committed in an earlier block.
   */
  executeBlock(txs: readonly Tx[], isCommitted: (txHash: Hash) => boolean): BlockExecution {
    const receipts: Receipt[] = []
    const seen = new Set<string>()
    const changed = new Set<string>()
    for (const tx of txs) {
      const hash = txHash(tx)
      const hashKey = toHex(hash)
      if (seen.has(hashKey) || isCommitted(hash)) {
        receipts.push({ txHash: hash, code: ReceiptCode.duplicate, log: 'transaction already committed' })
        continue
      }
      seen.add(hashKey)
      const result = this.applyTx(tx, changed)
      receipts.push({ txHash: hash, code: result.code, log: result.log })
    }
    const changedEntries = [...changed].sort().map((key) => {
      const slot = this.slots.get(key)
      if (slot === undefined) throw new Error(`AccountsApp: changed account ${key} vanished`)
      return { address: slot.address.slice(), account: slot.account }
    })
    return { receipts, changed: changedEntries, stateRoot: this.stateRoot() }
  }

  private applyTx(tx: Tx, changed: Set<string>): CheckTxResult {
    const sender = this.account(tx.from)
    if (tx.nonce !== sender.nonce) {
      return { code: ReceiptCode.badNonce, log: `expected nonce ${sender.nonce}, got ${tx.nonce}` }
    }
    const check = this.checkTransfer(tx, sender)
    if (check.code !== ReceiptCode.ok) return check
    const { to, amount } = tx.body
    // Debit first, then read the recipient: for a transfer to oneself both steps hit the same account.
    this.setAccount(tx.from, { balance: sender.balance - amount, nonce: sender.nonce + 1 }, changed)
    const recipient = this.account(to)
    this.setAccount(to, { balance: recipient.balance + amount, nonce: recipient.nonce }, changed)
    return check
  }

  /** The amount and balance rules shared by admission and execution. */
  private checkTransfer(tx: Tx, sender: Account): CheckTxResult {
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
    if (!selfTransfer && this.account(to).balance + amount > amountMax) {
      return { code: ReceiptCode.invalidAmount, log: 'recipient balance would exceed 2^64-1' }
    }
    return { code: ReceiptCode.ok, log: '' }
  }

  private setAccount(address: Uint8Array, account: Account, changed: Set<string>): void {
    const key = toHex(address)
    const slot = this.slots.get(key)
    if (slot === undefined) this.slots.set(key, { address: address.slice(), account, leaf: undefined })
    else {
      slot.account = account
      slot.leaf = undefined
    }
    changed.add(key)
  }

  private sortedSlots(): Slot[] {
    return [...this.slots.keys()].sort().map((key) => this.slots.get(key) as Slot)
  }
}
