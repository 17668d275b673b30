import { toHex } from '../../crypto/hex.js'
import type { Account, Tx } from '../../ledger/types.js'

export interface MempoolEntry {
  readonly tx: Tx
  readonly hashHex: string
  readonly bytes: number
  /** When it entered this mempool (clock ms), for the commit-latency histogram; set by the mempool. */
  readonly admittedAtMs?: number
}

export interface MempoolLimits {
  readonly txCountMax: number
  readonly bytesMax: number
  /** How far ahead of the next expected nonce an account may queue transactions. */
  readonly nonceGapMax: number
}

export type AdmitResult =
  | { readonly ok: true }
  | {
      readonly ok: false
      readonly code: 'duplicate' | 'stale-nonce' | 'nonce-gap' | 'full' | 'nonce-taken'
      readonly log: string
    }

/**
 * Pending transactions, bounded by count and bytes, kept per sender in nonce order. Signature and decode checks
 * happen before (see admission.ts); this class holds only the bookkeeping.
 */
export class Mempool {
  readonly #limits: MempoolLimits
  readonly #byHash = new Map<string, MempoolEntry>()
  /** sender hex → nonce → entry */
  readonly #bySender = new Map<string, Map<number, MempoolEntry>>()
  #bytes = 0
  readonly #nowMs: () => number

  /** `nowMs` stamps each entry's admission time (the validator's clock). */
  constructor(limits: MempoolLimits, nowMs: () => number = () => 0) {
    this.#limits = limits
    this.#nowMs = nowMs
  }

  get size(): number {
    return this.#byHash.size
  }

  get bytes(): number {
    return this.#bytes
  }

  has(hashHex: string): boolean {
    return this.#byHash.has(hashHex)
  }

  /** The next nonce for `sender`: its committed nonce plus its contiguous pending transactions. */
  nextNonce(sender: Uint8Array, committed: Account): number {
    const pending = this.#bySender.get(toHex(sender))
    let nonce = committed.nonce
    while (pending?.has(nonce)) nonce++
    return nonce
  }

  /** Why `add` would refuse the entry now, without changing anything (check_tx); undefined if it would not. */
  refusal(entry: MempoolEntry, committed: Account): Exclude<AdmitResult, { readonly ok: true }> | undefined {
    if (this.#byHash.has(entry.hashHex))
      return { ok: false, code: 'duplicate', log: 'already in the mempool' }
    const { tx } = entry
    if (tx.nonce < committed.nonce) {
      return {
        ok: false,
        code: 'stale-nonce',
        log: `nonce ${tx.nonce} already used (account nonce ${committed.nonce})`,
      }
    }
    if (tx.nonce > committed.nonce + this.#limits.nonceGapMax) {
      return { ok: false, code: 'nonce-gap', log: `nonce ${tx.nonce} is too far ahead of ${committed.nonce}` }
    }
    if (this.#bySender.get(toHex(tx.from))?.has(tx.nonce)) {
      return { ok: false, code: 'nonce-taken', log: `another pending transaction uses nonce ${tx.nonce}` }
    }
    if (this.#byHash.size >= this.#limits.txCountMax || this.#bytes + entry.bytes > this.#limits.bytesMax) {
      return { ok: false, code: 'full', log: 'mempool is full' }
    }
    return undefined
  }

  add(entry: MempoolEntry, committed: Account): AdmitResult {
    const refused = this.refusal(entry, committed)
    if (refused !== undefined) return refused
    const { tx } = entry
    const senderHex = toHex(tx.from)
    const pending = this.#bySender.get(senderHex)
    const stored: MempoolEntry = { ...entry, admittedAtMs: this.#nowMs() }
    this.#byHash.set(entry.hashHex, stored)
    this.#bytes += entry.bytes
    if (pending === undefined) this.#bySender.set(senderHex, new Map([[tx.nonce, stored]]))
    else pending.set(tx.nonce, stored)
    return { ok: true }
  }

  /** Removes the transaction; returns its entry, or undefined when it was not here. */
  remove(hashHex: string): MempoolEntry | undefined {
    const entry = this.#byHash.get(hashHex)
    if (entry === undefined) return undefined
    this.#byHash.delete(hashHex)
    this.#bytes -= entry.bytes
    const senderHex = toHex(entry.tx.from)
    const pending = this.#bySender.get(senderHex)
    pending?.delete(entry.tx.nonce)
    if (pending?.size === 0) this.#bySender.delete(senderHex)
    return entry
  }

  /** After a commit: drop every transaction whose nonce the sender has now used. Returns their hashes. */
  pruneStale(sender: Uint8Array, committed: Account): string[] {
    const pending = this.#bySender.get(toHex(sender))
    if (pending === undefined) return []
    const stale = [...pending].filter(([nonce]) => nonce < committed.nonce).map(([, entry]) => entry.hashHex)
    for (const hashHex of stale) this.remove(hashHex)
    return stale
  }

  /**
   * A batch for a proposal: per sender, the contiguous run of nonces starting at `expectedNonce(sender)`,
   * skipping transactions already in flight (in uncommitted blocks). Senders are visited in a stable order.
   */
  take(countMax: number, expectedNonce: (sender: Uint8Array) => number, inFlight: ReadonlySet<string>): Tx[] {
    const batch: Tx[] = []
    for (const pending of this.#bySender.values()) {
      if (batch.length >= countMax) break
      const first = pending.values().next().value
      if (first === undefined) continue
      let nonce = expectedNonce(first.tx.from)
      for (
        let entry = pending.get(nonce);
        entry !== undefined && batch.length < countMax;
        entry = pending.get(++nonce)
      ) {
        if (!inFlight.has(entry.hashHex)) batch.push(entry.tx)
      }
    }
    return batch
  }

  /** Pending transactions, oldest first, up to `limit` (for the unconfirmed_txs RPC). */
  list(limit: number): MempoolEntry[] {
    return [...this.#byHash.values()].slice(0, limit)
  }
}
