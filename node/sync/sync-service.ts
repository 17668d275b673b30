import { bytesEqual } from '../../crypto/hex.js'
import { DecodeError } from '../../ledger/codec/index.js'
import type { CommitRule } from '../../ledger/commit-rule.js'
import { blockSyncBackoffBaseMs, blockSyncBackoffMaxMs, blockSyncLagThreshold } from '../../ledger/limits.js'
import type { LedgerStore } from '../../ledger/store/index.js'
import type { Block, Hash, QuorumCertificate } from '../../ledger/types.js'
import { StateDivergenceError } from '../committer.js'
import type { CommittedBlock, ConsensusInput, ConsensusState } from '../consensus/index.js'
import type { Clock, Timer } from '../env/clock.js'
import type { Logger } from '../logger.js'
import { BlockFetcher, type FetchSkip } from './block-fetcher.js'
import { BlockSync } from './block-sync.js'
import { type AuthenticatedHead, HeadProber } from './head-prober.js'
import { PeerRequestBudget } from './request-budget.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from './sync-messages.js'
import { type CertifiedGenesis, SyncServer } from './sync-server.js'

/** What sync needs of consensus (the driver, in production). */
export interface ConsensusPort {
  /** Stops consensus (timers cancelled, inputs dropped) once the current step's writes are done. */
  pause(): Promise<void>
  /** Resumes over a state rebuilt from the store. */
  resume(state: ConsensusState): void
  enqueue(input: ConsensusInput): void
  /** An uncommitted block of the consensus tree, by hash (served to peers). */
  treeBlock(hash: Hash): Block | undefined
}

/** The sync protocol's side of the per-peer network. Peers are validators' node keys (hex). */
export interface SyncNetwork {
  /** False when the frame was dropped (not connected, queue full, closing). */
  send(peer: string, frame: Uint8Array): boolean
  /** Peers connected now. */
  peers(): readonly string[]
}

export type SyncStore = Pick<
  LedgerStore,
  'head' | 'blockByHeight' | 'blockByHash' | 'qcForBlock' | 'pendingBlocks'
>

export interface SyncServiceDeps {
  readonly store: SyncStore
  readonly consensus: ConsensusPort
  readonly network: SyncNetwork
  /** Executes and stores one committed block: the node's one commit path (BlockCommitter). */
  readonly commit: (committed: CommittedBlock) => Promise<unknown>
  readonly genesis: CertifiedGenesis
  readonly verifyQC: (qc: QuorumCertificate) => boolean
  readonly verifyTxs: (block: Block) => boolean
  readonly commitRule: CommitRule
  /** A fresh consensus state over the store's committed head, keeping the current safety state. */
  readonly rebuildState: () => Promise<ConsensusState>
  readonly clock: Clock
  readonly random: () => number
  readonly logger: Logger
  /** A peer's sync message was rejected (counted, and the peer scored, by the node). */
  readonly onRejected: (peer: string, reason: string) => void
}

/**
 * Everything on /quorate/sync/1.0.0: answering peers, fetching single missing blocks for consensus, and
 * catching up by block sync (with consensus paused) when this node is proven behind: a peer's head, certified
 * by a QC and asked for by us, more than blockSyncLagThreshold above our committed head. Nothing one peer
 * sends can pause consensus without that proof, and a block sync that could not close the gap backs off
 * before the next one, so no peer can keep this node paused.
 */
export class SyncService {
  readonly blockSync: BlockSync
  readonly #deps: SyncServiceDeps
  readonly #budget: PeerRequestBudget
  readonly #server: SyncServer
  readonly #prober: HeadProber
  readonly #fetcher: BlockFetcher
  readonly #abort = new AbortController()
  #catchUp: Promise<void> | null = null
  /** No block sync (no pause) starts before this; set after a block sync that did not close the gap. */
  #noPauseBeforeMs = 0
  #backoffMs = 0
  #reprobeTimer: Timer | null = null
  #failure: Error | null = null

  constructor(deps: SyncServiceDeps) {
    this.#deps = deps
    const send = (peer: string, message: SyncMessage) => deps.network.send(peer, encodeSyncMessage(message))
    const peers = () => deps.network.peers()
    this.#budget = new PeerRequestBudget(deps.clock)
    this.#server = new SyncServer(deps.store, deps.genesis, (hash) => deps.consensus.treeBlock(hash))
    this.#prober = new HeadProber({
      budget: this.#budget,
      send,
      peers,
      verifyQC: deps.verifyQC,
      clock: deps.clock,
    })
    const genesisHash = deps.genesis.qc.blockHash
    this.#fetcher = new BlockFetcher({
      budget: this.#budget,
      send,
      peers,
      isCommitted: async (hash) =>
        bytesEqual(hash, genesisHash) || (await deps.store.qcForBlock(hash)) !== undefined,
      verifyQC: deps.verifyQC,
      verifyTxs: deps.verifyTxs,
      clock: deps.clock,
      random: deps.random,
    })
    this.blockSync = new BlockSync({
      peers,
      send,
      budget: this.#budget,
      collectHeads: (asked, signal) => this.#prober.collect(asked, signal),
      head: () => deps.store.head(),
      verifyQC: deps.verifyQC,
      verifyTxs: deps.verifyTxs,
      commitRule: deps.commitRule,
      commit: async (committed) => {
        await deps.commit(committed)
      },
      clock: deps.clock,
      onPenalty: (peer, penalty) => deps.onRejected(peer, penalty),
      logger: deps.logger,
    })
  }

  get catchingUp(): boolean {
    return this.#catchUp !== null
  }

  /**
   * Set when block sync stopped the validator: a synced block's state root differs from ours (the committer's
   * StateDivergenceError), or consensus could not be resumed (its state could not be rebuilt).
   */
  get failure(): Error | null {
    return this.#failure
  }

  /** Fetches that were not made, by reason (for metrics). */
  get fetchesSkipped(): Readonly<Record<FetchSkip, number>> {
    return this.#fetcher.skipped
  }

  fetchBlock(hash: Hash): void {
    this.#fetcher.fetch(hash)
  }

  /**
   * A verified proposal this far ahead of our committed head hints that we are behind. One validator signs
   * a proposal, so its height proves nothing: it only asks peers for their heads (rate-limited), and a head
   * that proves the gap starts block sync.
   */
  noticeHeight(height: number): void {
    if (this.#catchUp !== null) return
    if (height > this.#deps.store.head().height + blockSyncLagThreshold) this.#prober.probeSoon()
  }

  /**
   * At boot: with consensus not yet started, asks peers for their heads, syncs committed blocks if one proves
   * a gap, then starts consensus over the new head with the fetched-but-unproven tail and the saved pending
   * blocks in its tree. Single-flight.
   */
  catchUp(): Promise<void> {
    return this.#startCatchUp(new Map())
  }

  async onFrame(peer: string, frame: Uint8Array): Promise<void> {
    let message: SyncMessage
    try {
      message = decodeSyncMessage(frame)
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error
      this.#deps.onRejected(peer, 'malformed')
      return
    }
    switch (message.kind) {
      case 'get-head':
      case 'get-block':
      case 'get-blocks': {
        const verdict = await this.#server.serve(peer, message, (reply) =>
          this.#deps.network.send(peer, encodeSyncMessage(reply)),
        )
        if (verdict !== 'served') this.#deps.onRejected(peer, verdict)
        return
      }
      case 'block': {
        const verdict = this.#fetcher.accept(peer, message.block)
        if (verdict.ok)
          this.#deps.consensus.enqueue({
            kind: 'block-fetched',
            block: verdict.block,
            nowMs: this.#deps.clock.nowMs(),
          })
        else this.#deps.onRejected(peer, verdict.reason)
        return
      }
      case 'head': {
        const verdict = this.#prober.accept(peer, message)
        if (verdict.ok) this.#onHead(peer, verdict.head)
        else this.#deps.onRejected(peer, verdict.reason)
        return
      }
      case 'blocks':
        this.blockSync.onMessage(peer, message)
        return
    }
  }

  /** Stops a running catch-up (on shutdown) and waits for its current write. */
  async close(): Promise<void> {
    this.#abort.abort()
    this.#reprobeTimer?.cancel()
    this.#fetcher.close()
    await this.#catchUp
  }

  /** An authenticated head: proof of a gap if it is far enough above our committed head. */
  #onHead(peer: string, head: AuthenticatedHead): void {
    if (this.#catchUp !== null || this.#abort.signal.aborted) return
    if (head.height <= this.#deps.store.head().height + blockSyncLagThreshold) return
    const nowMs = this.#deps.clock.nowMs()
    if (nowMs < this.#noPauseBeforeMs) {
      this.#reprobeAfterBackoff(nowMs)
      return
    }
    void this.#startCatchUp(new Map([[peer, head.height]]))
  }

  /** Backing off: once it ends, ask again (the gap may have closed, or peers may serve it now). */
  #reprobeAfterBackoff(nowMs: number): void {
    if (this.#reprobeTimer !== null) return
    this.#reprobeTimer = this.#deps.clock.setTimer(this.#noPauseBeforeMs - nowMs, () => {
      this.#reprobeTimer = null
      if (this.#catchUp === null && !this.#abort.signal.aborted) this.#prober.ask(this.#deps.network.peers())
    })
  }

  #startCatchUp(knownHeads: ReadonlyMap<string, number>): Promise<void> {
    this.#catchUp ??= this.#runCatchUp(knownHeads)
      .catch((error: unknown) => {
        this.#failure = error instanceof Error ? error : new Error(String(error))
        this.#deps.logger.fatal({ err: error }, 'block sync stopped the validator')
      })
      .finally(() => {
        this.#catchUp = null
      })
    return this.#catchUp
  }

  /**
   * Pauses consensus, syncs committed blocks from peers, then resumes consensus over a state rebuilt from the
   * store. A failed commit ends the sync: consensus resumes from what the store holds, never from memory.
   */
  async #runCatchUp(knownHeads: ReadonlyMap<string, number>): Promise<void> {
    const { consensus, store, clock, logger } = this.#deps
    await consensus.pause()
    // The blocks being fetched were for the tree that block sync is about to replace.
    this.#fetcher.clear()
    let tail: Block[] = []
    let failed = false
    try {
      tail = (await this.blockSync.catchUp(this.#abort.signal, knownHeads)).map(({ block }) => block)
    } catch (error) {
      // A certified block whose state root is not ours: never resume on top of a state the quorum disagrees
      // with. The failure stops the validator (consensus stays paused).
      if (error instanceof StateDivergenceError) throw error
      failed = true
      logger.error({ err: error }, 'block sync failed; resuming consensus from the store')
    }
    if (this.#abort.signal.aborted) return
    const state = await this.#deps.rebuildState()
    const pending = await store.pendingBlocks()
    consensus.resume(state)
    const nowMs = clock.nowMs()
    for (const block of [...tail, ...pending]) consensus.enqueue({ kind: 'block-fetched', block, nowMs })
    consensus.enqueue({ kind: 'start', nowMs })
    const reached = store.head().height + tail.length
    this.#backOffUnless(!failed && this.blockSync.targetHeight - reached <= blockSyncLagThreshold, nowMs)
  }

  /** A block sync that left the gap open (peers could not serve it) delays the next pause, exponentially. */
  #backOffUnless(gapClosed: boolean, nowMs: number): void {
    if (gapClosed) {
      this.#backoffMs = 0
      return
    }
    this.#backoffMs = Math.min(blockSyncBackoffMaxMs, Math.max(blockSyncBackoffBaseMs, this.#backoffMs * 2))
    this.#noPauseBeforeMs = nowMs + this.#backoffMs
    this.#deps.logger.warn(
      {
        height: this.#deps.store.head().height,
        target: this.blockSync.targetHeight,
        backoffMs: this.#backoffMs,
      },
      'block sync: gap not closed; backing off',
    )
  }
}
