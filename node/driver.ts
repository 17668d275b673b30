import { toHex } from '../crypto/hex.js'
import type { AccountsApp } from '../ledger/app/index.js'
import { blockHash } from '../ledger/hashing.js'
import type { LedgerStore } from '../ledger/store/index.js'
import type { ConsensusMessage, Hash, SafetyState, TimeoutCertificate } from '../ledger/types.js'
import type { BlockCommitter } from './committer.js'
import {
  awaitedLeader,
  type CommittedBlock,
  type ConsensusAction,
  type ConsensusInput,
  type ConsensusState,
  step,
} from './consensus/index.js'
import type { Clock, Timer } from './env/clock.js'
import type { EvidencePool } from './evidence/index.js'
import type { Logger } from './logger.js'
import { takeBatch } from './mempool/batch.js'
import type { Mempool } from './mempool/mempool.js'
import type { NodeMetrics } from './metrics.js'

/**
 * The core's inputs, plus two that become inputs in the loop, where the mempool is read: the leader's batch
 * falling due ('payload'; `emptyAllowed` false when the block is only worth proposing with transactions) and the
 * view timer expiring ('timer', told whether a proposable transaction waits).
 */
export type DriverEvent =
  | ConsensusInput
  | {
      readonly kind: 'payload-due'
      readonly view: number
      readonly parentHash: Hash
      readonly emptyAllowed: boolean
    }
  | { readonly kind: 'timer-due'; readonly view: number }

/** What the driver needs from the network: consensus frames out, block fetches out. */
export interface DriverNetwork {
  send(validatorIndex: number, message: ConsensusMessage): void
  broadcast(message: ConsensusMessage): void
  fetchBlock(hash: Hash): void
}

/** Where the driver keeps what it must not forget across a crash (the safety store). */
export interface SafetyPersistence {
  /** Durable (fsync) before it resolves: the vote or timeout that depends on it is sent after. */
  saveSafetyState(safety: SafetyState): Promise<void>
  saveHighestTC(tc: TimeoutCertificate): Promise<void>
}

export interface DriverDeps {
  readonly safety: SafetyPersistence
  readonly store: Pick<LedgerStore, 'savePendingBlock'>
  readonly app: AccountsApp
  readonly mempool: Mempool
  readonly committer: BlockCommitter
  readonly evidence: Pick<EvidencePool, 'add'>
  readonly network: DriverNetwork
  readonly metrics: NodeMetrics
  readonly logger: Logger
  readonly clock: Clock
  /**
   * With createEmptyBlocks: the minimum time between a parent block and an idle child (no transactions in the
   * mempool or in uncommitted ancestors), so an idle chain does not spin out empty blocks. Blocks with work are
   * proposed at once either way.
   */
  readonly blockIntervalMs: number
  /** False: a quiescent chain; an idle leader waits for a transaction instead of pacing empty blocks. */
  readonly createEmptyBlocks: boolean
  /** Re-sends the mempool's transactions to peers: our view is stuck with work, and others may not have it. */
  readonly gossipPendingTxs: () => void
  /**
   * Whether validator `index` is known to be unreachable now (its connection closed, say on a crash): a view
   * that waits on it is timed out at once instead of after the view timeout (#watchAwaitedLeader).
   */
  readonly isUnreachable: (index: number) => boolean
}

/**
 * The one event loop around the pure consensus core: inputs are queued and stepped one at a time, and each
 * step's actions are performed in order, so the safety state is on disk (sync) before the vote or timeout that
 * depends on it leaves the process.
 */
export class ConsensusDriver {
  #state: ConsensusState
  readonly #deps: DriverDeps
  readonly #queue: DriverEvent[] = []
  /** Execution results go ahead of other inputs, in height order. */
  readonly #executed: ConsensusInput[] = []
  #draining: Promise<void> | null = null
  /** The view whose timer fired last: a second expiry in one view means the view is stuck. */
  #lastTimerView = -1
  /** The last view timed out early because the leader it waited on was unreachable (at most once per view). */
  #leftEarlyView = -1
  /**
   * What the awaited leader was last judged on. While none of it changes the answer is the same, so a step that
   * leaves it as it was costs nothing here; only a closed connection (noticePeerLost) makes it worth asking again.
   */
  #judgedOn: Pick<ConsensusState, 'view' | 'timerIdle' | 'safety'> | null = null
  readonly #timers = new Map<number, Timer>()
  /** Idle blocks, by view: waiting for a transaction (or, with empty blocks on, for the block interval). */
  readonly #idlePayloads = new Map<
    number,
    { readonly timer: Timer | null; readonly due: (emptyAllowed: boolean) => void }
  >()
  #closed = false
  /** While block sync runs, consensus is paused: inputs are dropped and no timer runs. */
  #paused = false
  #failure: Error | null = null

  constructor(state: ConsensusState, deps: DriverDeps) {
    this.#state = state
    this.#deps = deps
  }

  get state(): ConsensusState {
    return this.#state
  }

  /** Set when the driver stopped on a broken invariant; the node must exit. */
  get failure(): Error | null {
    return this.#failure
  }

  get paused(): boolean {
    return this.#paused
  }

  enqueue(input: DriverEvent): void {
    if (this.#closed || this.#paused) return
    this.#queue.push(input)
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null
    })
  }

  /** Stops consensus for block sync: waits for the current step's writes, then drops inputs until resumed. */
  async pause(): Promise<void> {
    this.#paused = true
    this.#clearTimers()
    this.#queue.length = 0
    await this.#draining
  }

  /** Resumes with a state rebuilt from the store after block sync moved the committed head. */
  resume(state: ConsensusState): void {
    if (this.#closed) return
    this.#state = state
    this.#executed.length = 0
    this.#paused = false
  }

  /** Stops taking inputs and waits for the current step's writes to finish. */
  async close(): Promise<void> {
    this.#closed = true
    this.#clearTimers()
    this.#queue.length = 0
    await this.#draining
  }

  async #drain(): Promise<void> {
    const next = () => this.#executed.shift() ?? this.#queue.shift()
    for (let event = next(); event !== undefined && !this.#closed && !this.#paused; event = next()) {
      try {
        const input = this.#toInput(event)
        if (input === undefined) continue
        const result = step(this.#state, input)
        this.#state = result.state
        for (const action of result.actions) await this.#perform(action)
        this.#watchAwaitedLeader(false)
      } catch (error) {
        this.#fail(error)
        return
      }
    }
  }

  /**
   * A due payload becomes a batch only here, in the loop: every earlier commit has executed and left the
   * mempool by now, so the batch never repeats a transaction that is committed but not yet executed.
   */
  #toInput(event: DriverEvent): ConsensusInput | undefined {
    if (event.kind === 'timer-due') {
      const pendingTxs = this.#hasProposableTx()
      // The timer fired again in the same view: a whole period passed without a TC. Perhaps only we hold the
      // transactions that would make the others time out too (their gossip was lost, we were cut off): send
      // them again. Not on the first expiry: under load the leader has them, and resent transactions would
      // only queue behind fresh gossip.
      const repeated = event.view === this.#lastTimerView
      this.#lastTimerView = event.view
      if (pendingTxs && repeated && event.view === this.#state.view) this.#deps.gossipPendingTxs()
      return { kind: 'timer', view: event.view, pendingTxs }
    }
    if (event.kind !== 'payload-due') return event
    if (this.#state.view !== event.view) return undefined
    const txs = takeBatch(this.#state, event.parentHash, this.#deps.mempool, this.#deps.app)
    if (txs.length === 0 && !event.emptyAllowed) {
      // The transactions that woke us cannot go in yet (say a nonce gap): an idle block after all.
      this.#waitIdle(event.view, event.parentHash)
      return undefined
    }
    return {
      kind: 'payload',
      view: event.view,
      parentHash: event.parentHash,
      txs,
      nowMs: this.#deps.clock.nowMs(),
    }
  }

  #fail(error: unknown): void {
    this.#failure = error instanceof Error ? error : new Error(String(error))
    this.#closed = true
    this.#deps.logger.fatal({ err: this.#failure }, 'consensus stopped on a broken invariant')
    this.#clearTimers()
  }

  #clearTimers(): void {
    for (const timer of this.#timers.values()) timer.cancel()
    this.#timers.clear()
    for (const { timer } of this.#idlePayloads.values()) timer?.cancel()
    this.#idlePayloads.clear()
  }

  async #perform(action: ConsensusAction): Promise<void> {
    const { network, store, metrics, safety } = this.#deps
    switch (action.kind) {
      case 'persist-safety':
        await safety.saveSafetyState(action.safety)
        return
      case 'send':
        network.send(action.to, action.message)
        return
      case 'broadcast':
        if (action.repeated !== true) this.#auditSigned(action.message)
        network.broadcast(action.message)
        return
      case 'schedule-timer':
        this.#scheduleTimer(action.view, action.delayMs)
        return
      case 'request-payload':
        this.#schedulePayload(action.view, action.parentHash, action.chainHasTxs)
        return
      case 'persist-block':
        await store.savePendingBlock(action.block, action.hash)
        return
      case 'persist-tc':
        await safety.saveHighestTC(action.tc)
        return
      case 'commit':
        for (const committed of action.blocks) await this.#commit(committed)
        return
      case 'fetch-block':
        network.fetchBlock(action.hash)
        return
      case 'record-evidence':
        // Verified, stored, gossiped and counted by the pool (once, however often it is found).
        await this.#deps.evidence.add(action.evidence, 'local')
        return
      case 'entered-view':
        metrics.view.set(action.view)
        metrics.viewChanges.inc({ reason: action.reason })
        return
    }
  }

  /**
   * One log line per message this validator signs (the core only broadcasts its own proposals, votes and
   * timeouts): an audit trail that crash tests read to prove no validator ever signed twice for one view.
   */
  #auditSigned(message: ConsensusMessage): void {
    const signed =
      message.kind === 'vote'
        ? { kind: 'vote', view: message.vote.view, digest: toHex(message.vote.blockHash) }
        : message.kind === 'timeout'
          ? { kind: 'timeout', view: message.timeout.view, digest: String(message.timeout.highQC.view) }
          : message.kind === 'proposal'
            ? {
                kind: 'proposal',
                view: message.proposal.block.header.view,
                digest: toHex(blockHash(message.proposal.block.header)),
              }
            : undefined
    if (signed !== undefined) this.#deps.logger.info({ signed }, 'signed')
  }

  #scheduleTimer(view: number, delayMs: number): void {
    // Only the current view's timer matters; older ones are cancelled.
    for (const [timerView, timer] of this.#timers) {
      if (timerView < view) {
        timer.cancel()
        this.#timers.delete(timerView)
      }
    }
    this.#timers.get(view)?.cancel()
    this.#timers.set(
      view,
      this.#deps.clock.setTimer(delayMs, () => {
        this.#timers.delete(view)
        this.enqueue({ kind: 'timer-due', view })
      }),
    )
  }

  /**
   * As leader: with work (uncommitted ancestors that carry transactions, or transactions in the mempool), hand
   * the core a batch at once: the leader proposes as soon as it holds its parent's QC (optimistic
   * responsiveness). Otherwise the block is idle (#waitIdle).
   */
  #schedulePayload(view: number, parentHash: Hash, chainHasTxs: boolean): void {
    if (chainHasTxs) this.enqueue({ kind: 'payload-due', view, parentHash, emptyAllowed: true })
    else if (this.#deps.mempool.size > 0)
      this.enqueue({ kind: 'payload-due', view, parentHash, emptyAllowed: false })
    else this.#waitIdle(view, parentHash)
  }

  /**
   * An idle block waits for a transaction (noticeWork); with empty blocks on, at most until the block interval
   * after its parent has passed, and then it is proposed empty.
   */
  #waitIdle(view: number, parentHash: Hash): void {
    const due = (emptyAllowed: boolean) => {
      this.#idlePayloads.get(view)?.timer?.cancel()
      this.#idlePayloads.delete(view)
      this.enqueue({ kind: 'payload-due', view, parentHash, emptyAllowed })
    }
    let timer: Timer | null = null
    if (this.#deps.createEmptyBlocks) {
      const parent = this.#state.tree.get(toHex(parentHash))
      const earliestMs = (parent?.block.header.timestampMs ?? 0) + this.#deps.blockIntervalMs
      timer = this.#deps.clock.setTimer(Math.max(0, earliestMs - this.#deps.clock.nowMs()), () => due(true))
    }
    this.#idlePayloads.set(view, { timer, due })
  }

  /** A transaction entered the mempool: an idle block is proposed now, and an idle view's timer runs again. */
  noticeWork(): void {
    for (const { due } of [...this.#idlePayloads.values()]) due(false)
    if (this.#state.timerIdle) this.enqueue({ kind: 'work' })
  }

  /** A peer's connection closed: if the current view waits on that validator, it is timed out now. */
  noticePeerLost(): void {
    if (!this.#closed && !this.#paused) this.#watchAwaitedLeader(true)
  }

  /**
   * A view whose leader is unreachable (its connection closed: crashed, restarting, banned) cannot produce a
   * proposal that reaches us, so we time it out at once, as if its timer had expired, rather than waiting the
   * view timeout. Sending a timeout is always safe; an honest leader we are still connected to is never
   * abandoned this way, and one we are cut off from could not have reached us anyway (docs/protocol.md,
   * "Unreachable leaders").
   */
  #watchAwaitedLeader(peerLost: boolean): void {
    const { view, timerIdle, safety } = this.#state
    const judged = this.#judgedOn
    const unchanged =
      judged !== null &&
      judged.view === view &&
      judged.timerIdle === timerIdle &&
      judged.safety.lastVotedView === safety.lastVotedView &&
      judged.safety.highQC === safety.highQC
    if (unchanged && !peerLost) return
    this.#judgedOn = { view, timerIdle, safety }
    if (view <= this.#leftEarlyView) return
    const leader = awaitedLeader(this.#state)
    if (leader === null || !this.#deps.isUnreachable(leader)) return
    this.#leftEarlyView = view
    this.#deps.metrics.unreachableLeaderTimeouts.inc()
    this.#deps.logger.info({ view, leader }, 'leader unreachable: timing the view out now')
    this.enqueue({ kind: 'timer-due', view })
  }

  /** Whether a leader could propose a mempool transaction against the committed state. */
  #hasProposableTx(): boolean {
    const { mempool, app } = this.#deps
    return mempool.size > 0 && mempool.take(1, (sender) => app.account(sender).nonce, new Set()).length > 0
  }

  /** Execute and write in one atomic batch, then tell the core the resulting state root (ahead of other inputs). */
  async #commit(committed: CommittedBlock): Promise<void> {
    const stateRoot = await this.#deps.committer.commit(committed)
    this.#executed.push({ kind: 'executed', height: committed.block.header.height, stateRoot })
  }
}
