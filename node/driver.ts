import { toHex } from '../crypto/hex.js'
import type { AccountsApp } from '../ledger/app/index.js'
import { blockHash } from '../ledger/hashing.js'
import type { LedgerStore } from '../ledger/store/index.js'
import type { ConsensusMessage, Hash, SafetyState, TimeoutCertificate } from '../ledger/types.js'
import type { BlockCommitter } from './committer.js'
import {
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

/** The core's inputs, plus the leader's batch falling due (turned into a 'payload' input in the loop). */
export type DriverEvent =
  | ConsensusInput
  | { readonly kind: 'payload-due'; readonly view: number; readonly parentHash: Hash }

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
   * Minimum time between a parent block and an idle child (no transactions in the mempool or in uncommitted
   * ancestors), so an idle chain does not spin out empty blocks. Blocks with work are proposed at once.
   */
  readonly blockIntervalMs: number
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
  readonly #timers = new Map<number, Timer>()
  /** Idle blocks waiting out the block interval, by view: proposed early when work arrives. */
  readonly #idlePayloads = new Map<number, { readonly timer: Timer; readonly due: () => void }>()
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
    if (event.kind !== 'payload-due') return event
    if (this.#state.view !== event.view) return undefined
    const txs = takeBatch(this.#state, event.parentHash, this.#deps.mempool, this.#deps.app)
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
    for (const { timer } of this.#idlePayloads.values()) timer.cancel()
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
        this.#auditSigned(action.message)
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
        this.enqueue({ kind: 'timer', view })
      }),
    )
  }

  /**
   * As leader: with work (transactions in the mempool, or uncommitted ancestors that carry some), hand the core
   * a batch at once: the leader proposes as soon as it holds its parent's QC (optimistic responsiveness). An
   * idle block waits out the block interval after its parent, or less if a transaction arrives meanwhile.
   */
  #schedulePayload(view: number, parentHash: Hash, chainHasTxs: boolean): void {
    if (chainHasTxs || this.#deps.mempool.size > 0) {
      this.enqueue({ kind: 'payload-due', view, parentHash })
      return
    }
    const parent = this.#state.tree.get(toHex(parentHash))
    const earliestMs = (parent?.block.header.timestampMs ?? 0) + this.#deps.blockIntervalMs
    const delayMs = Math.max(0, earliestMs - this.#deps.clock.nowMs())
    const due = () => {
      this.#idlePayloads.delete(view)
      this.enqueue({ kind: 'payload-due', view, parentHash })
    }
    this.#idlePayloads.set(view, { timer: this.#deps.clock.setTimer(delayMs, due), due })
  }

  /** A transaction entered the mempool: an idle block waiting out the block interval is proposed now. */
  noticeWork(): void {
    for (const { timer, due } of [...this.#idlePayloads.values()]) {
      timer.cancel()
      due()
    }
  }

  /** Execute and write in one atomic batch, then tell the core the resulting state root (ahead of other inputs). */
  async #commit(committed: CommittedBlock): Promise<void> {
    const stateRoot = await this.#deps.committer.commit(committed)
    this.#executed.push({ kind: 'executed', height: committed.block.header.height, stateRoot })
  }
}
