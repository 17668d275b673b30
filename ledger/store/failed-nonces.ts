// Committed transactions whose execution failed, by sender. Execution leaves a failed tx's sender nonce as it
// was (ledger/app), yet the tx is committed: it has a tx location, and offered again it is "already committed".
// Every other committed tx raised its sender's nonce above its own, and nonces never go down. So a tx whose nonce
// is at or above its sender's committed nonce, and above the sender's highest failed nonce, was never committed:
// admission and the committer answer "committed?" that way from memory, without reading the tx index.

import { bytesEqual, toHex } from '../../crypto/hex.js'
import { txHash } from '../hashing.js'
import type { Receipt, Tx } from '../types.js'
import { ReceiptCode } from '../types.js'
import type { Database, PutOperation } from './database.js'
import { writeBatch } from './database.js'
import { StoreError } from './errors.js'
import type { Repositories } from './repositories.js'

/**
 * Senders whose highest failed nonce is held in memory. Honest traffic leaves a few (a failed transfer's sender
 * soon uses that nonce again); beyond the bound, for a sender not held, the answer is "ask the tx index".
 */
export const failedNonceSendersInMemoryMax = 65_536

/** What nonceMax answers for a sender none of whose committed txs failed. */
export const noFailedNonce = -1

export interface FailedNonceRaise {
  readonly address: Uint8Array
  readonly nonce: number
}

/** A receipt of a committed tx that failed: it has a tx location, and the sender's nonce did not move. */
export function isFailedReceipt(receipt: Receipt): boolean {
  return receipt.code !== ReceiptCode.ok && receipt.code !== ReceiptCode.duplicate
}

/** The highest failed nonce per sender, in memory, mirroring the failedNonceMax bucket. */
export class FailedNonces {
  readonly #sendersMax: number
  /** Sender hex → highest failed nonce. Exact for every sender it holds. */
  readonly #bySender = new Map<string, number>()
  /** Some sender with a failed tx is not in #bySender (#sendersMax reached). */
  #partial = false

  /** Empty: for a store with no failed tx. */
  constructor(sendersMax = failedNonceSendersInMemoryMax) {
    this.#sendersMax = sendersMax
  }

  /**
   * Loads the bucket, rebuilding it from the receipts first when it is not complete up to `headHeight` (a home
   * written by a build without it, or committed to by one since).
   */
  static async load(
    db: Database,
    repos: Repositories,
    headHeight: number,
    sendersMax = failedNonceSendersInMemoryMax,
  ): Promise<FailedNonces> {
    if ((await repos.failedNonceMaxHeight.get(null)) !== headHeight) await rebuild(db, repos, headHeight)
    const failedNonces = new FailedNonces(sendersMax)
    for await (const { keyBytes, value } of repos.failedNonceMax.iterate()) {
      failedNonces.#remember(toHex(keyBytes), value)
    }
    return failedNonces
  }

  /**
   * The highest nonce among `address`'s committed txs that failed, noFailedNonce if none did; undefined when
   * memory does not hold the sender and cannot tell (more senders than failedNonceSendersInMemoryMax).
   */
  nonceMax(address: Uint8Array): number | undefined {
    const known = this.#bySender.get(toHex(address))
    if (known !== undefined) return known
    return this.#partial ? undefined : noFailedNonce
  }

  /**
   * The senders whose highest failed nonce the block raises, with the new value, for the commit batch. A sender
   * memory cannot answer for is read through `stored`.
   */
  async raisedBy(
    txs: readonly Tx[],
    receipts: readonly Receipt[],
    stored: (address: Uint8Array) => Promise<number | undefined>,
  ): Promise<FailedNonceRaise[]> {
    const highest = new Map<string, FailedNonceRaise>()
    receipts.forEach((receipt, index) => {
      if (!isFailedReceipt(receipt)) return
      const tx = txs[index] as Tx
      const senderHex = toHex(tx.from)
      if ((highest.get(senderHex)?.nonce ?? noFailedNonce) < tx.nonce)
        highest.set(senderHex, { address: tx.from, nonce: tx.nonce })
    })
    const raised: FailedNonceRaise[] = []
    for (const raise of highest.values()) {
      const before = this.nonceMax(raise.address) ?? (await stored(raise.address)) ?? noFailedNonce
      if (raise.nonce > before) raised.push(raise)
    }
    return raised
  }

  /** Once the batch holding `raised` is on disk. */
  record(raised: readonly FailedNonceRaise[]): void {
    for (const { address, nonce } of raised) this.#remember(toHex(address), nonce)
  }

  #remember(senderHex: string, nonce: number): void {
    if (this.#bySender.has(senderHex) || this.#bySender.size < this.#sendersMax)
      this.#bySender.set(senderHex, nonce)
    else this.#partial = true
  }
}

/**
 * Writes the bucket from the receipts (every failed receipt's tx, found through its location), and marks it
 * complete up to `headHeight`. Reads every receipt once: the cost of opening a home written before the bucket.
 */
async function rebuild(db: Database, repos: Repositories, headHeight: number): Promise<void> {
  const highest = new Map<string, FailedNonceRaise>()
  for await (const { value: receipt } of repos.receipt.iterate()) {
    if (!isFailedReceipt(receipt)) continue
    const tx = await committedTx(repos, receipt)
    const senderHex = toHex(tx.from)
    if ((highest.get(senderHex)?.nonce ?? noFailedNonce) < tx.nonce)
      highest.set(senderHex, { address: tx.from, nonce: tx.nonce })
  }
  const operations: PutOperation[] = [...highest.values()].map(({ address, nonce }) =>
    repos.failedNonceMax.put(address, nonce),
  )
  operations.push(repos.failedNonceMaxHeight.put(null, headHeight))
  // Not synced: lost in a power cut, the height mark is lost with it, and the next open rebuilds again.
  await writeBatch(db, operations, false)
}

async function committedTx(repos: Repositories, receipt: Receipt): Promise<Tx> {
  const where = `the receipt of tx ${toHex(receipt.txHash)}`
  const location = await repos.txLocation.get(receipt.txHash)
  if (location === undefined) throw new StoreError('corrupt', `${where} has no tx location`)
  const hash = await repos.hashByHeight.get(location.height)
  const block = hash === undefined ? undefined : await repos.blockByHash.get(hash)
  const tx = block?.txs[location.index]
  if (tx === undefined || !bytesEqual(txHash(tx), receipt.txHash)) {
    throw new StoreError('corrupt', `${where}: no tx at height ${location.height}, index ${location.index}`)
  }
  return tx
}
