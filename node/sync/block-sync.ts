import { bytesEqual } from '../../crypto/hex.js'
import { type CommitRule, chainLength, isCommittingChain } from '../../ledger/commit-rule.js'
import { blockHash, txRoot } from '../../ledger/hashing.js'
import {
  blockSyncLagThreshold,
  syncBatchBlockCountMax,
  syncPeerBanMs,
  syncRequestsInFlightMax,
  syncRequestTimeoutMs,
} from '../../ledger/limits.js'
import type { Hash, QuorumCertificate } from '../../ledger/types.js'
import type { CommittedBlock } from '../consensus/index.js'
import { type Clock, sleep } from '../env/clock.js'
import type { Logger } from '../logger.js'
import type { PeerRequestBudget, RequestLease } from './request-budget.js'
import type { CertifiedBlock, SyncMessage } from './sync-messages.js'

export type SyncPhase = 'idle' | 'finding-peers' | 'block-sync'

/** Why a sync peer was penalised (counted in metrics, and the peer is set aside for syncPeerBanMs). */
export type SyncPenalty = 'invalid-block' | 'broken-link' | 'empty' | 'timeout' | 'unsolicited'

export interface BlockSyncDeps {
  /** Connected validators' node keys. */
  readonly peers: () => readonly string[]
  /** False when the frame could not be queued (the peer is gone). */
  readonly send: (peer: string, message: SyncMessage) => boolean
  /** The per-peer request budget shared with fetches and head probes. */
  readonly budget: PeerRequestBudget
  /** Asks `peers` for their heads and returns the authenticated heights heard (HeadProber.collect). */
  readonly collectHeads: (
    peers: readonly string[],
    signal: AbortSignal,
  ) => Promise<ReadonlyMap<string, number>>
  readonly head: () => { readonly height: number; readonly hash: Hash }
  readonly verifyQC: (qc: QuorumCertificate) => boolean
  readonly verifyTxs: (block: CertifiedBlock['block']) => boolean
  /** The chain's commit rule: which fetched blocks the fetched chain itself proves committed. */
  readonly commitRule: CommitRule
  /** Executes and stores one committed block (the node's one commit path). */
  readonly commit: (committed: CommittedBlock) => Promise<void>
  readonly clock: Clock
  readonly onPenalty: (peer: string, penalty: SyncPenalty) => void
  readonly logger: Logger
}

interface Request {
  readonly peer: string
  readonly fromHeight: number
  readonly count: number
  readonly lease: RequestLease
}

interface Received {
  readonly peer: string
  readonly fromHeight: number
  readonly blocks: readonly CommittedBlock[]
}

/** How long to wait for a first peer to connect (just after start). */
const connectWaitMs = 1_000
const pollMs = 50
/** Log progress every this many committed blocks. */
const progressLogBlocks = 500
/** A fetch round that links no new block for this long ends (peers may have lied about their heads). */
const stallMs = 3 * syncRequestTimeoutMs
/** Rounds in a row that may link nothing because replies were lost (and nothing else went wrong). */
export const lostRepliesRetryRoundsMax = 2

/**
 * Catch-up by block sync: ask peers for their heads (authenticated, see HeadProber), fetch committed blocks
 * with their QCs in bounded batches from several peers at once (each request taken from the per-peer request
 * budget), verify every block (hash, parent link, QC against the validator set, transaction signatures), and
 * commit a block only once the fetched chain itself proves it committed: a block B0 followed by B1 (and B2,
 * under the three-chain rule) in consecutive views with a valid QC for the last of them (the chain's commit
 * rule), which holds whatever a lying peer sends. Peers
 * that send wrong, empty, unsolicited or late replies are penalised and set aside; their ranges go to others.
 */
export class BlockSync {
  phase: SyncPhase = 'idle'
  targetHeight = 0
  readonly #deps: BlockSyncDeps
  readonly #heads = new Map<string, number>()
  readonly #bannedUntilMs = new Map<string, number>()
  readonly #requests = new Map<number, Request>()
  readonly #received = new Map<number, Received>()
  readonly #retry: Array<{ fromHeight: number; count: number }> = []
  /** Verified, linked blocks above the committed head that the chain does not yet prove committed. */
  #unproven: Array<CommittedBlock & { readonly peer: string }> = []
  #nextToRequest = 0
  /** The kinds of penalty given in the current round. */
  readonly #roundPenalties = new Set<SyncPenalty>()

  constructor(deps: BlockSyncDeps) {
    this.#deps = deps
  }

  get catchingUp(): boolean {
    return this.phase !== 'idle'
  }

  /** Batches from peers. Anything not asked for is dropped and counted. */
  onMessage(peer: string, message: Extract<SyncMessage, { kind: 'blocks' }>): void {
    const request = this.#requests.get(message.fromHeight)
    if (request === undefined || request.peer !== peer) {
      this.#deps.onPenalty(peer, 'unsolicited')
      return
    }
    this.#requests.delete(message.fromHeight)
    request.lease.release()
    const verdict = this.#verifyBatch(request, message.blocks)
    if (verdict !== 'ok') {
      this.#penalise(peer, verdict)
      this.#retry.push({ fromHeight: request.fromHeight, count: request.count })
      return
    }
    if (message.blocks.length === 0) {
      // Empty from a peer that said it had these blocks is a penalty; from one that is behind, just retry.
      if ((this.#heads.get(peer) ?? 0) >= request.fromHeight) this.#penalise(peer, 'empty')
      this.#heads.set(peer, Math.min(this.#heads.get(peer) ?? 0, request.fromHeight - 1))
      this.#retry.push({ fromHeight: request.fromHeight, count: request.count })
      return
    }
    const blocks = message.blocks.map(({ block, qc }) => ({ block, qc, hash: blockHash(block.header) }))
    this.#received.set(request.fromHeight, { peer, fromHeight: request.fromHeight, blocks })
    if (blocks.length < request.count) {
      this.#retry.push({
        fromHeight: request.fromHeight + blocks.length,
        count: request.count - blocks.length,
      })
    }
  }

  /**
   * Runs until this node is within blockSyncLagThreshold blocks of the highest authenticated head its peers
   * report (or no peer can help). `knownHeads`: heads already authenticated (the ones that proved the gap).
   * Returns the verified blocks above the new head that are not yet proven committed: the caller hands them
   * to consensus, which commits them when it sees their QCs. A failed commit ends it (the error is thrown).
   */
  async catchUp(
    signal: AbortSignal,
    knownHeads: ReadonlyMap<string, number> = new Map(),
  ): Promise<CommittedBlock[]> {
    for (const [peer, height] of knownHeads) this.#heads.set(peer, height)
    try {
      // Rounds repeat while they make progress (peers move on while we sync); a round that links nothing ends
      // it, so peers that lie about their heads cannot keep us here. Except, at most
      // lostRepliesRetryRoundsMax times in a row, a round that lost replies and saw nothing else wrong: its
      // peers are set aside, and the next round asks every other peer for its head again (replies to the
      // first probe may have been lost too, and then the only peer we knew of was the one that timed out).
      let retriesAfterLostReplies = 0
      for (let round = 0; !signal.aborted; round++) {
        this.phase = 'finding-peers'
        await this.#refreshHeads(signal)
        this.targetHeight = Math.max(0, ...this.#heads.values())
        const applied = this.#deps.head().height + this.#unproven.length
        if (this.targetHeight - applied <= (round === 0 ? blockSyncLagThreshold : 2)) break
        this.phase = 'block-sync'
        this.#deps.logger.info(
          { from: this.#deps.head().height, target: this.targetHeight },
          'block sync: catching up',
        )
        this.#roundPenalties.clear()
        await this.#fetchUpTo(this.targetHeight, signal)
        if (this.#deps.head().height + this.#unproven.length !== applied) {
          retriesAfterLostReplies = 0
          continue
        }
        const onlyLostReplies = this.#roundPenalties.size === 1 && this.#roundPenalties.has('timeout')
        if (!onlyLostReplies || retriesAfterLostReplies >= lostRepliesRetryRoundsMax) break
        retriesAfterLostReplies++
      }
      return this.#unproven.map(({ block, hash, qc }) => ({ block, hash, qc }))
    } finally {
      this.phase = 'idle'
      this.#unproven = []
      this.#heads.clear()
      // Requests still out keep their leases until their timeouts: the peers may still be answering them.
      this.#requests.clear()
      this.#received.clear()
      this.#retry.length = 0
    }
  }

  /**
   * Heads are authenticated, so they are kept across rounds and only raised here (a peer that cannot serve
   * what it advertised is lowered in onMessage); a peer whose budget is busy keeps the head it gave before.
   */
  async #refreshHeads(signal: AbortSignal): Promise<void> {
    // Just after start no peer may be connected yet: give them a short wait.
    const connectDeadlineMs = this.#deps.clock.nowMs() + connectWaitMs
    while (
      this.#usablePeers().length === 0 &&
      this.#deps.clock.nowMs() < connectDeadlineMs &&
      !signal.aborted
    ) {
      await sleep(this.#deps.clock, pollMs, signal)
    }
    const heard = await this.#deps.collectHeads(this.#usablePeers(), signal)
    for (const [peer, height] of heard) this.#heads.set(peer, height)
  }

  async #fetchUpTo(target: number, signal: AbortSignal): Promise<void> {
    this.#nextToRequest = this.#deps.head().height + this.#unproven.length + 1
    let lastLoggedHeight = this.#deps.head().height
    let applied = lastLoggedHeight + this.#unproven.length
    let lastProgressMs = this.#deps.clock.nowMs()
    while (!signal.aborted) {
      this.#expireRequests()
      this.#sendRequests(target)
      await this.#applyReceived()
      const height = this.#deps.head().height
      if (height - lastLoggedHeight >= progressLogBlocks) {
        lastLoggedHeight = height
        this.#deps.logger.info({ height, target }, 'block sync: progress')
      }
      if (height + this.#unproven.length !== applied) {
        applied = height + this.#unproven.length
        lastProgressMs = this.#deps.clock.nowMs()
      }
      // Done when the target is reached, or when no usable peer (heads are lowered as peers fail to serve
      // what they advertised, and peers that failed us are set aside) has anything above what we hold.
      const reachable = Math.min(
        target,
        Math.max(0, ...this.#usablePeers().map((peer) => this.#heads.get(peer) ?? 0)),
      )
      const waitingFor = [...this.#requests.values()].some((request) => request.fromHeight <= reachable)
      if (applied >= reachable && !waitingFor) return
      if (this.#deps.clock.nowMs() - lastProgressMs > stallMs) {
        this.#deps.logger.warn({ height, target }, 'block sync: no progress; handing over to consensus')
        return
      }
      await sleep(this.#deps.clock, pollMs, signal)
    }
  }

  #usablePeers(): string[] {
    const now = this.#deps.clock.nowMs()
    for (const [peer, until] of this.#bannedUntilMs) if (until <= now) this.#bannedUntilMs.delete(peer)
    return this.#deps.peers().filter((peer) => !this.#bannedUntilMs.has(peer))
  }

  #expireRequests(): void {
    const now = this.#deps.clock.nowMs()
    for (const [fromHeight, request] of this.#requests) {
      if (request.lease.expiresAtMs > now) continue
      this.#requests.delete(fromHeight)
      this.#penalise(request.peer, 'timeout')
      this.#retry.push({ fromHeight, count: request.count })
    }
  }

  #sendRequests(target: number): void {
    const peers = this.#usablePeers()
    const unreachable = new Set<string>()
    while (this.#requests.size < syncRequestsInFlightMax) {
      const range = this.#nextRange(target)
      if (range === undefined) return
      const lease = this.#leasePeer(peers, range.fromHeight, unreachable)
      if (lease === undefined) {
        this.#retry.unshift(range)
        return
      }
      if (
        !this.#deps.send(lease.peer, { kind: 'get-blocks', fromHeight: range.fromHeight, count: range.count })
      ) {
        // Our own queue to it is full, or it just left: not its fault, and another peer may take the range.
        lease.release()
        unreachable.add(lease.peer)
        this.#retry.unshift(range)
        continue
      }
      this.#requests.set(range.fromHeight, { peer: lease.peer, ...range, lease })
    }
  }

  #nextRange(target: number): { fromHeight: number; count: number } | undefined {
    const applied = this.#deps.head().height + this.#unproven.length
    while (this.#retry.length > 0) {
      const range = this.#retry.shift()!
      const end = range.fromHeight + range.count - 1
      if (end <= applied) continue
      const fromHeight = Math.max(range.fromHeight, applied + 1)
      return { fromHeight, count: end - fromHeight + 1 }
    }
    if (this.#nextToRequest > target) return undefined
    const fromHeight = this.#nextToRequest
    const count = Math.min(syncBatchBlockCountMax, target - fromHeight + 1)
    this.#nextToRequest += count
    return { fromHeight, count }
  }

  /** A lease on a usable peer that has the height and room in its request budget. */
  #leasePeer(
    peers: readonly string[],
    fromHeight: number,
    unreachable: ReadonlySet<string>,
  ): RequestLease | undefined {
    for (const peer of peers) {
      if ((this.#heads.get(peer) ?? 0) < fromHeight || unreachable.has(peer)) continue
      const lease = this.#deps.budget.tryTake(peer, syncRequestTimeoutMs)
      if (lease !== undefined) return lease
    }
    return undefined
  }

  #verifyBatch(request: Request, blocks: readonly CertifiedBlock[]): 'ok' | SyncPenalty {
    if (blocks.length > request.count) return 'invalid-block'
    let previousHash: Hash | undefined
    for (const [i, { block, qc }] of blocks.entries()) {
      const hash = blockHash(block.header)
      if (block.header.height !== request.fromHeight + i) return 'invalid-block'
      if (previousHash !== undefined && !bytesEqual(block.header.parentHash, previousHash))
        return 'broken-link'
      if (!bytesEqual(qc.blockHash, hash) || qc.view !== block.header.view) return 'invalid-block'
      // The hash covers only the header: the transactions must match its txRoot.
      if (!bytesEqual(block.header.txRoot, txRoot(block.txs))) return 'invalid-block'
      if (!this.#deps.verifyQC(qc) || !this.#deps.verifyQC(block.header.justify)) return 'invalid-block'
      if (!this.#deps.verifyTxs(block)) return 'invalid-block'
      previousHash = hash
    }
    return 'ok'
  }

  /** Links received batches onto the chain in height order, then commits what the commit rule proves. */
  async #applyReceived(): Promise<void> {
    for (;;) {
      const nextHeight = this.#deps.head().height + this.#unproven.length + 1
      const batch = [...this.#received.values()].find(
        (each) => each.fromHeight <= nextHeight && nextHeight < each.fromHeight + each.blocks.length,
      )
      for (const [fromHeight, each] of this.#received) {
        if (each.fromHeight + each.blocks.length <= nextHeight) this.#received.delete(fromHeight)
      }
      if (batch === undefined) return
      this.#received.delete(batch.fromHeight)
      const tipHash = this.#unproven.at(-1)?.hash ?? this.#deps.head().hash
      const fresh = batch.blocks.slice(nextHeight - batch.fromHeight)
      if (!bytesEqual(fresh[0]!.block.header.parentHash, tipHash)) {
        // One of the two peers served a certified block that is not on the committed chain. Blame both,
        // drop what is unproven, and fetch it again from others.
        const previousPeer = this.#unproven.at(-1)?.peer
        this.#penalise(batch.peer, 'broken-link')
        if (previousPeer !== undefined) this.#penalise(previousPeer, 'broken-link')
        // Start over from the committed head: every range above it is requested again.
        this.#unproven = []
        this.#retry.length = 0
        this.#received.clear()
        this.#nextToRequest = this.#deps.head().height + 1
        return
      }
      for (const block of fresh) this.#unproven.push({ ...block, peer: batch.peer })
      await this.#commitProven()
    }
  }

  async #commitProven(): Promise<void> {
    const chain = this.#unproven
    const { commitRule } = this.#deps
    const length = chainLength(commitRule)
    let provenIndex = -1
    for (let i = chain.length - length; i >= 0; i--) {
      const viewsHighestFirst = chain.slice(i, i + length).map((each) => each.block.header.view)
      if (isCommittingChain(commitRule, viewsHighestFirst.reverse())) {
        provenIndex = i // the top block's QC (verified) completes the chain that commits chain[i] and below
        break
      }
    }
    if (provenIndex < 0) return
    const proven = chain.splice(0, provenIndex + 1)
    for (const { block, hash, qc } of proven) await this.#deps.commit({ block, hash, qc })
  }

  #penalise(peer: string, penalty: SyncPenalty): void {
    this.#roundPenalties.add(penalty)
    this.#deps.onPenalty(peer, penalty)
    this.#bannedUntilMs.set(peer, this.#deps.clock.nowMs() + syncPeerBanMs)
    this.#deps.logger.warn({ peer: peer.slice(0, 16), penalty }, 'block sync: peer penalised')
  }
}
