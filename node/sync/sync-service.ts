import { toHex } from '../../crypto/hex.js'
import { DecodeError } from '../../ledger/codec/index.js'
import { blockSyncLagThreshold } from '../../ledger/limits.js'
import type { LedgerStore } from '../../ledger/store/index.js'
import type { Block, Hash, QuorumCertificate } from '../../ledger/types.js'
import type { BlockCommitter } from '../committer.js'
import type { ConsensusState } from '../consensus/index.js'
import type { ConsensusDriver } from '../driver.js'
import { type Clock, sleep } from '../env/clock.js'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from '../metrics.js'
import { BlockFetcher } from './block-fetcher.js'
import { BlockSync } from './block-sync.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from './sync-messages.js'
import { SyncServer } from './sync-server.js'

export interface SyncServiceDeps {
  readonly store: LedgerStore
  readonly driver: ConsensusDriver
  readonly committer: BlockCommitter
  readonly send: (peer: string, frame: Uint8Array) => void
  readonly broadcast: (frame: Uint8Array) => void
  readonly peers: () => readonly string[]
  readonly verifyQC: (qc: QuorumCertificate) => boolean
  readonly verifyTxs: (block: Block) => boolean
  /** A fresh consensus state over the store's committed head, keeping the current safety state. */
  readonly rebuildState: () => Promise<ConsensusState>
  readonly clock: Clock
  readonly metrics: NodeMetrics
  readonly logger: Logger
  /** A peer's sync message was rejected (counted, and the peer scored, by the node). */
  readonly onRejected: (peer: string, reason: string) => void
}

/** Sync requests answered at once, per peer and over all peers (block sync asks each peer one at a time). */
const syncRequestsServedPerPeerMax = 2
const syncRequestsServedMax = 8

/**
 * Everything on /quorate/sync/1.0.0: answering peers, fetching single missing blocks for consensus, and
 * catching up by block sync (with consensus paused) when this node is behind.
 */
export class SyncService {
  readonly blockSync: BlockSync
  readonly #deps: SyncServiceDeps
  readonly #server: SyncServer
  readonly #fetcher: BlockFetcher
  readonly #abort = new AbortController()
  #catchUp: Promise<void> | null = null
  /** Sync requests being answered, per peer. */
  readonly #serving = new Map<string, number>()

  constructor(deps: SyncServiceDeps) {
    this.#deps = deps
    this.#server = new SyncServer(deps.store, (hash) => deps.driver.state.tree.get(toHex(hash))?.block)
    this.#fetcher = new BlockFetcher(
      (hash) => deps.broadcast(encodeSyncMessage({ kind: 'get-block', hash })),
      (block) => deps.verifyQC(block.header.justify),
      deps.verifyTxs,
      () => deps.clock.nowMs(),
    )
    this.blockSync = new BlockSync({
      peers: deps.peers,
      send: (peer, message) => deps.send(peer, encodeSyncMessage(message)),
      head: () => deps.store.head(),
      verifyQC: deps.verifyQC,
      verifyTxs: deps.verifyTxs,
      commit: async (committed) => {
        await deps.committer.commit(committed)
      },
      nowMs: () => deps.clock.nowMs(),
      sleep: (ms, signal) => sleep(deps.clock, ms, signal),
      onPenalty: (peer, penalty) => deps.onRejected(peer, penalty),
      logger: deps.logger,
    })
  }

  get catchingUp(): boolean {
    return this.#catchUp !== null
  }

  fetchBlock(hash: Hash): void {
    this.#fetcher.fetch(hash)
  }

  /** A verified proposal this far ahead of our committed head means we are behind: catch up by block sync. */
  noticeHeight(height: number): void {
    if (height > this.#deps.store.head().height + blockSyncLagThreshold) void this.catchUp()
  }

  /**
   * Pauses consensus, syncs committed blocks from peers, then resumes consensus over the new head with the
   * fetched-but-unproven tail and the saved pending blocks in its tree. Single-flight.
   */
  catchUp(): Promise<void> {
    this.#catchUp ??= this.#runCatchUp().finally(() => {
      this.#catchUp = null
    })
    return this.#catchUp
  }

  async #runCatchUp(): Promise<void> {
    const { driver, store } = this.#deps
    await driver.pause()
    let tail: Block[] = []
    try {
      tail = (await this.blockSync.catchUp(this.#abort.signal)).map(({ block }) => block)
    } catch (error) {
      this.#deps.logger.error({ err: error }, 'block sync failed; resuming consensus')
    }
    if (this.#abort.signal.aborted) return
    driver.resume(await this.#deps.rebuildState())
    const nowMs = this.#deps.clock.nowMs()
    for (const block of [...tail, ...(await store.pendingBlocks())])
      driver.enqueue({ kind: 'block-fetched', block, nowMs })
    driver.enqueue({ kind: 'start', nowMs })
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
        // Answering reads the store: one request per peer at a time and a few overall, the rest dropped
        // (an honest peer waits for its answer before asking again, so only floods lose anything).
        const servingForPeer = this.#serving.get(peer) ?? 0
        const servingTotal = [...this.#serving.values()].reduce((sum, count) => sum + count, 0)
        if (servingForPeer >= syncRequestsServedPerPeerMax || servingTotal >= syncRequestsServedMax) {
          this.#deps.onRejected(peer, 'flood')
          return
        }
        this.#serving.set(peer, servingForPeer + 1)
        try {
          const reply = await this.#server.answer(message)
          if (reply !== undefined) this.#deps.send(peer, encodeSyncMessage(reply))
        } finally {
          const left = (this.#serving.get(peer) ?? 1) - 1
          if (left === 0) this.#serving.delete(peer)
          else this.#serving.set(peer, left)
        }
        return
      }
      case 'block': {
        const verdict = this.#fetcher.accept(message.block)
        if (verdict.ok)
          this.#deps.driver.enqueue({
            kind: 'block-fetched',
            block: verdict.block,
            nowMs: this.#deps.clock.nowMs(),
          })
        else this.#deps.onRejected(peer, verdict.reason)
        return
      }
      case 'head':
      case 'blocks':
        this.blockSync.onMessage(peer, message)
        return
    }
  }

  /** Stops a running catch-up (on shutdown) and waits for its current write. */
  async close(): Promise<void> {
    this.#abort.abort()
    await this.#catchUp
  }
}
