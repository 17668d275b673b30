import { bytesEqual, toHex } from '../../crypto/hex.js'
import { blockHash, txRoot } from '../../ledger/hashing.js'
import { blockFetchAttemptTimeoutMs, blockFetchesOutstandingMax } from '../../ledger/limits.js'
import type { Block, Hash, QuorumCertificate } from '../../ledger/types.js'
import type { Clock, Timer } from '../env/clock.js'
import type { PeerRequestBudget, RequestLease } from './request-budget.js'
import type { SyncMessage } from './sync-messages.js'

export type FetchedBlockVerdict =
  | { readonly ok: true; readonly block: Block }
  | { readonly ok: false; readonly reason: 'unsolicited' | 'invalid-block' | 'invalid-qc' | 'invalid-tx' }

/** Why a fetch was not (or no longer) made; counted in `BlockFetcher.skipped`. */
export type FetchSkip = 'duplicate' | 'full' | 'committed' | 'exhausted'

export interface BlockFetcherDeps {
  readonly budget: PeerRequestBudget
  /** False when the frame could not be queued (the peer is gone). */
  readonly send: (peer: string, message: SyncMessage) => boolean
  readonly peers: () => readonly string[]
  /** True for a block already committed here: committed history is never fetched. */
  readonly isCommitted: (hash: Hash) => Promise<boolean>
  readonly verifyQC: (qc: QuorumCertificate) => boolean
  readonly verifyTxs: (block: Block) => boolean
  readonly clock: Clock
  readonly random: () => number
}

interface Wanted {
  readonly hash: Hash
  /** Every peer asked for it so far: each is asked at most once. */
  readonly asked: Set<string>
  /** The request in flight; its lease ends when the reply came or the attempt timed out. */
  attempt: RequestLease | undefined
  /** Still finding out whether it is committed here. */
  checking: boolean
}

/** How often to look again for room in a peer's budget when every candidate is busy. */
const budgetWaitMs = 50

/**
 * Fetches blocks of the consensus tree by hash (a proposal's unknown parent). Each hash is asked of one peer
 * at a time, the next peer only once the previous one timed out, through the shared per-peer request budget;
 * at most blockFetchesOutstandingMax hashes are wanted at once and further fetches are refused, so no input
 * can make this node flood its peers. A reply is accepted only from a peer asked for that hash (the hash
 * authenticates the header), with transactions that match the header and a certificate that verifies.
 */
export class BlockFetcher {
  readonly skipped: Record<FetchSkip, number> = { duplicate: 0, full: 0, committed: 0, exhausted: 0 }
  readonly #deps: BlockFetcherDeps
  readonly #wanted = new Map<string, Wanted>()
  #timer: Timer | undefined
  #timerDueMs = Number.POSITIVE_INFINITY
  #closed = false

  constructor(deps: BlockFetcherDeps) {
    this.#deps = deps
  }

  /** Hashes being fetched now. */
  get outstanding(): number {
    return this.#wanted.size
  }

  fetch(hash: Hash): void {
    if (this.#closed) return
    const key = toHex(hash)
    if (this.#wanted.has(key)) {
      this.skipped.duplicate++
      return
    }
    if (this.#wanted.size >= blockFetchesOutstandingMax) {
      this.skipped.full++
      return
    }
    const wanted: Wanted = { hash, asked: new Set(), attempt: undefined, checking: true }
    this.#wanted.set(key, wanted)
    const stillWanted = () => this.#wanted.get(key) === wanted
    this.#deps.isCommitted(hash).then(
      (committed) => {
        if (!stillWanted()) return
        if (committed) {
          this.#wanted.delete(key)
          this.skipped.committed++
          return
        }
        wanted.checking = false
        this.#pump()
      },
      // The store is closing: nothing more to fetch for.
      () => {
        if (stillWanted()) this.#wanted.delete(key)
      },
    )
  }

  accept(peer: string, block: Block): FetchedBlockVerdict {
    const key = toHex(blockHash(block.header))
    const wanted = this.#wanted.get(key)
    if (wanted === undefined || !wanted.asked.has(peer)) return { ok: false, reason: 'unsolicited' }
    if (wanted.attempt?.peer === peer) {
      wanted.attempt.release()
      wanted.attempt = undefined
    }
    const reason = this.#problem(block)
    if (reason === undefined) this.#wanted.delete(key)
    // Either way the peer's slot is free; a bad reply sends the request on to the next peer.
    this.#pump()
    return reason === undefined ? { ok: true, block } : { ok: false, reason }
  }

  /** Forgets every fetch (block sync replaces the tree they were for). Leases run out on their own. */
  clear(): void {
    this.#wanted.clear()
    this.#cancelTimer()
  }

  close(): void {
    this.#closed = true
    this.clear()
  }

  #problem(block: Block): 'invalid-block' | 'invalid-qc' | 'invalid-tx' | undefined {
    // The hash covers the header only: the transactions must match its txRoot.
    if (!bytesEqual(block.header.txRoot, txRoot(block.txs))) return 'invalid-block'
    if (!this.#deps.verifyQC(block.header.justify)) return 'invalid-qc'
    if (!this.#deps.verifyTxs(block)) return 'invalid-tx'
    return undefined
  }

  /** Sends what can be sent now, and sets the timer for when the next attempt times out or room frees up. */
  #pump(): void {
    if (this.#closed) return
    const nowMs = this.#deps.clock.nowMs()
    let waitMs = Number.POSITIVE_INFINITY
    for (const [key, wanted] of this.#wanted) {
      if (wanted.checking) continue
      if (wanted.attempt !== undefined && wanted.attempt.expiresAtMs > nowMs) {
        waitMs = Math.min(waitMs, wanted.attempt.expiresAtMs - nowMs)
        continue
      }
      wanted.attempt = undefined
      const candidates = this.#deps.peers().filter((peer) => !wanted.asked.has(peer))
      if (candidates.length === 0) {
        // Every connected peer was asked: consensus asks again if it still needs the block.
        this.#wanted.delete(key)
        this.skipped.exhausted++
        continue
      }
      waitMs = Math.min(waitMs, this.#askOne(wanted, candidates) ? blockFetchAttemptTimeoutMs : budgetWaitMs)
    }
    this.#scheduleTimer(nowMs, waitMs)
  }

  /** Asks one candidate (from a random start, spreading the load) with room in its budget. */
  #askOne(wanted: Wanted, candidates: readonly string[]): boolean {
    const start = Math.floor(this.#deps.random() * candidates.length)
    for (let i = 0; i < candidates.length; i++) {
      const peer = candidates[(start + i) % candidates.length]!
      const lease = this.#deps.budget.tryTake(peer, blockFetchAttemptTimeoutMs, 'bulk')
      if (lease === undefined) continue
      wanted.asked.add(peer)
      if (this.#deps.send(peer, { kind: 'get-block', hash: wanted.hash })) {
        wanted.attempt = lease
        return true
      }
      lease.release()
    }
    return false
  }

  #scheduleTimer(nowMs: number, waitMs: number): void {
    if (!Number.isFinite(waitMs)) {
      this.#cancelTimer()
      return
    }
    const dueMs = nowMs + waitMs
    if (this.#timer !== undefined && this.#timerDueMs <= dueMs) return
    this.#cancelTimer()
    this.#timerDueMs = dueMs
    this.#timer = this.#deps.clock.setTimer(waitMs, () => {
      this.#timer = undefined
      this.#timerDueMs = Number.POSITIVE_INFINITY
      this.#pump()
    })
  }

  #cancelTimer(): void {
    this.#timer?.cancel()
    this.#timer = undefined
    this.#timerDueMs = Number.POSITIVE_INFINITY
  }
}
