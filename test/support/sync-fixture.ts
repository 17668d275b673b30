// Sync over real LevelDB stores (or in-memory ones on simulated time), wired in-process: a committed chain
// with real QCs (produced by the deterministic simulated cluster), peers that serve it through the real
// SyncServer (honestly, or with a lie on top), and a node under test running the real BlockSync with the real
// BlockCommitter (SyncingNode), or the whole SyncService with consensus recorded (ServiceHarness). Every
// request and reply crosses the /quorate/sync/1.0.0 codec, and replies arrive asynchronously, as over the
// network.

import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { toHex } from '../../crypto/hex.js'
import { AccountsApp } from '../../ledger/app/index.js'
import type { CommitRule } from '../../ledger/commit-rule.js'
import { txHash } from '../../ledger/hashing.js'
import { LedgerStore } from '../../ledger/store/index.js'
import type { Block, Hash, QuorumCertificate } from '../../ledger/types.js'
import { BlockCommitter } from '../../node/committer.js'
import {
  type CommittedBlock,
  type ConsensusInput,
  type ConsensusState,
  MessageVerifier,
} from '../../node/consensus/index.js'
import { type Clock, sleep, type Timer } from '../../node/env/clock.js'
import { CommittedTxIndex } from '../../node/mempool/committed-txs.js'
import { Mempool } from '../../node/mempool/mempool.js'
import { NodeMetrics } from '../../node/metrics.js'
import { loadTreeRoot } from '../../node/recovery.js'
import { BlockSync } from '../../node/sync/block-sync.js'
import { HeadProber } from '../../node/sync/head-prober.js'
import { PeerRequestBudget } from '../../node/sync/request-budget.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from '../../node/sync/sync-messages.js'
import { type CertifiedGenesis, type ServedStore, SyncServer } from '../../node/sync/sync-server.js'
import { type ConsensusPort, SyncService, type SyncStore } from '../../node/sync/sync-service.js'
import { TxVerifier } from '../../node/tx-verifier.js'
import { Cluster, defaultSimParams, simChainId } from '../sim/cluster.js'

/** How long the simulated cluster runs to produce the served chain (a few hundred blocks). */
const clusterRunMs = 100_000

/** Answers one sync request (already decoded), or stays silent (undefined). */
export type Answer = (request: SyncMessage) => Promise<SyncMessage | undefined>

export interface SyncPeer {
  readonly id: string
  readonly answer: Answer
}

/**
 * A committed chain with real QCs, kept in a closed LevelDB directory that peers copy. Validator 3 is crashed
 * from 20 s to 40 s and again from 80 s on, so views time out and the chain has gaps in its views: the 3-chain
 * rule then proves less than every block, and the tail the served chain ends with is not proven by itself.
 */
export class SyncFixture {
  readonly #dirs: string[] = []
  readonly #stores: LedgerStore[] = []

  private constructor(
    readonly seed: number,
    readonly cluster: Cluster,
    /** The committed chain: the block at height h is at index h - 1. */
    readonly chain: readonly CommittedBlock[],
    /** The state root after each height (index h - 1), as the served store holds it. */
    readonly stateRoots: readonly Hash[],
    readonly sourceDir: string,
  ) {}

  static async create(seed: number, commitRule = defaultSimParams.commitRule): Promise<SyncFixture> {
    const cluster = new Cluster({
      validators: 4,
      seed,
      clients: 2,
      clientIntervalMs: 300,
      params: { commitRule },
    })
    cluster.at(20_000, () => cluster.crash(3))
    cluster.at(40_000, () => cluster.restart(3))
    cluster.at(80_000, () => cluster.crash(3))
    cluster.start()
    await cluster.runUntil(clusterRunMs)
    if (cluster.violations.length > 0) {
      throw new Error(`seed=${seed}: the cluster broke safety: ${JSON.stringify(cluster.violations)}`)
    }
    const chain = cluster.nodes[0]!.committed.slice()
    const sourceDir = await mkdtemp(join(tmpdir(), 'quorate-sync-source-'))
    const store = await openLedgerStore(cluster, sourceDir)
    const stateRoots: Hash[] = []
    try {
      const committer = await newCommitter(store, cluster)
      for (const committed of chain) stateRoots.push(await committer.commit(committed))
    } finally {
      await store.close()
    }
    const fixture = new SyncFixture(seed, cluster, chain, stateRoots, sourceDir)
    fixture.#dirs.push(sourceDir)
    return fixture
  }

  /** The genesis block and its QC (the head of a store with nothing committed). */
  get genesis(): CertifiedGenesis {
    return fixtureGenesis(this.cluster)
  }

  /** The served chain's head height. */
  get headHeight(): number {
    return this.chain.length
  }

  get commitRule(): CommitRule {
    return this.cluster.chain.genesis.params.commitRule
  }

  /**
   * The height the commit rule proves committed from the served chain alone, counted by hand: the highest
   * block b0 followed by b1 (and b2, under the three-chain rule) in consecutive views (the last one's QC is
   * served with it). 0 if none.
   */
  get provenHeight(): number {
    const viewAt = (height: number) => this.chain[height - 1]!.block.header.view
    const followers = this.commitRule === 'two-chain' ? 1 : 2
    for (let height = this.headHeight - followers; height >= 1; height--) {
      let consecutive = true
      for (let i = 1; i <= followers; i++) consecutive &&= viewAt(height + i) === viewAt(height) + i
      if (consecutive) return height
    }
    return 0
  }

  /** A fresh empty store (the genesis state only) in a new temp directory. */
  async openEmptyStore(): Promise<LedgerStore> {
    const dir = await mkdtemp(join(tmpdir(), 'quorate-sync-node-'))
    this.#dirs.push(dir)
    return this.#track(await openLedgerStore(this.cluster, dir))
  }

  /** A peer's own store: a copy of the whole served chain, or the chain's first `height` blocks. */
  async openPeerStore(height = this.headHeight): Promise<LedgerStore> {
    const dir = await mkdtemp(join(tmpdir(), 'quorate-sync-peer-'))
    this.#dirs.push(dir)
    if (height === this.headHeight) {
      await cp(this.sourceDir, dir, { recursive: true })
      return this.#track(await openLedgerStore(this.cluster, dir))
    }
    const store = this.#track(await openLedgerStore(this.cluster, dir))
    const committer = await newCommitter(store, this.cluster)
    for (const committed of this.chain.slice(0, height)) await committer.commit(committed)
    return store
  }

  /** Closes every store this fixture opened (in reverse order) and removes every directory. */
  async close(): Promise<void> {
    for (const store of this.#stores.splice(0).reverse()) await store.close()
    for (const dir of this.#dirs.splice(0)) await rm(dir, { recursive: true, force: true })
  }

  /** Closes the stores opened since the last call (one test's peers and node); keeps the source. */
  async closeStores(): Promise<void> {
    for (const store of this.#stores.splice(0).reverse()) await store.close()
    const source = this.sourceDir
    for (const dir of this.#dirs.splice(0)) {
      if (dir === source) this.#dirs.push(dir)
      else await rm(dir, { recursive: true, force: true })
    }
  }

  #track(store: LedgerStore): LedgerStore {
    this.#stores.push(store)
    return store
  }
}

function openLedgerStore(cluster: Cluster, dir: string): Promise<LedgerStore> {
  return LedgerStore.open({
    dir,
    chainId: simChainId,
    genesisHash: cluster.chain.hash,
    genesisStateRoot: cluster.chain.stateRoot,
    genesisAccounts: genesisAccounts(cluster),
  })
}

function genesisAccounts(cluster: Cluster) {
  return cluster.chain.genesis.accounts.map(({ address, balance }) => ({
    address,
    account: { balance, nonce: 0 },
  }))
}

/** The node's one commit path over `store` (holding the genesis state only), with its own app, mempool and metrics. */
export async function newCommitter(store: LedgerStore, cluster: Cluster): Promise<BlockCommitter> {
  return new BlockCommitter({
    store,
    app: AccountsApp.fromAccounts(genesisAccounts(cluster)),
    mempool: new Mempool({ txCountMax: 10_000, bytesMax: 8 * 1_048_576, nonceGapMax: 64 }),
    committedTxs: new CommittedTxIndex(store),
    metrics: new NodeMetrics(),
    committedRoot: await loadTreeRoot(store, cluster.chain.block, {
      validatorCount: cluster.chain.genesis.validators.length,
      commitRule: cluster.chain.genesis.params.commitRule,
    }),
    commitRule: cluster.chain.genesis.params.commitRule,
    onCommitted: () => {},
  })
}

/** What block sync checks with keys: QCs against the validator set, and tx signatures. */
export interface ChainVerifier {
  readonly verifyQC: (qc: QuorumCertificate) => boolean
  readonly verifyTxs: (block: Block) => boolean
}

/**
 * A verifier over the cluster's validator set. Its caches remember only valid signatures (keyed by signature
 * and signed bytes), so sharing one between tests makes them faster without letting anything forged through.
 */
export function newVerifier(cluster: Cluster): ChainVerifier {
  const txVerifier = new TxVerifier(simChainId)
  const verifier = new MessageVerifier({
    chainId: simChainId,
    validators: cluster.chain.genesis.validators.map((v) => v.consensusKey),
    genesisQC: cluster.chain.qc,
    verifyTx: (tx) => txVerifier.verifySync(tx, toHex(txHash(tx))),
  })
  return {
    verifyQC: (qc) => verifier.verifyQC(qc),
    verifyTxs: (block) => block.txs.every((tx) => txVerifier.verifySync(tx, toHex(txHash(tx)))),
  }
}

/** The genesis block and its QC: what a peer at height 0 answers a get-head with. */
export function fixtureGenesis(cluster: Cluster): CertifiedGenesis {
  return { block: cluster.chain.block, qc: cluster.chain.qc }
}

export function honestPeer(id: string, store: ServedStore, genesis: CertifiedGenesis): SyncPeer {
  const server = new SyncServer(store, genesis, () => undefined)
  return { id, answer: (request) => server.answer(request) }
}

/**
 * A peer that serves its store through the real SyncServer and then rewrites (or drops) the reply: `lie`
 * gets the request and the honest reply, and returns what the peer sends instead (undefined: nothing).
 */
export function lyingPeer(
  id: string,
  store: ServedStore,
  genesis: CertifiedGenesis,
  lie: (request: SyncMessage, honest: SyncMessage | undefined) => SyncMessage | undefined,
): SyncPeer {
  const server = new SyncServer(store, genesis, () => undefined)
  return { id, answer: async (request) => lie(request, await server.answer(request)) }
}

/**
 * A read-only store in memory holding the first `height` blocks of `chain`, each read answered after
 * `readDelayMs()` on `clock` (a slow disk, in simulated time). Nothing is ever committed to it.
 */
export function memoryStore(
  chain: readonly CommittedBlock[],
  height: number,
  genesis: CertifiedGenesis,
  clock: Clock,
  readDelayMs: () => number = () => 0,
): SyncStore {
  const held = chain.slice(0, height)
  const byHash = new Map(held.map((each) => [toHex(each.hash), each]))
  const head = held.at(-1)
  const read = async <T>(value: T): Promise<T> => {
    const delayMs = readDelayMs()
    if (delayMs > 0) await sleep(clock, delayMs)
    return value
  }
  return {
    head: () => ({
      height,
      hash: head?.hash ?? genesis.qc.blockHash,
      stateRoot: head?.block.header.stateRoot ?? genesis.block.header.stateRoot,
    }),
    blockByHeight: (at) => read(at >= 1 && at <= height ? held[at - 1]!.block : undefined),
    blockByHash: (hash) => read(byHash.get(toHex(hash))?.block),
    qcForBlock: (hash) => read(byHash.get(toHex(hash))?.qc),
    pendingBlocks: () => read([]),
  }
}

/** Real time plus an offset a test can move forward (to pass request timeouts and peer bans at once). */
export class TestClock implements Clock {
  #offsetMs = 0
  #timer: ReturnType<typeof setInterval> | undefined

  readonly nowMs = (): number => Date.now() + this.#offsetMs

  setTimer(delayMs: number, callback: () => void): Timer {
    const handle = setTimeout(callback, Math.max(0, delayMs))
    return { cancel: () => clearTimeout(handle) }
  }

  advance(ms: number): void {
    this.#offsetMs += ms
  }

  /** From now on, time runs `factor` times faster than real time (until stop). */
  runFast(factor: number): void {
    const tickMs = 20
    this.#timer = setInterval(() => this.advance(tickMs * (factor - 1)), tickMs)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}

export interface SyncingNodeOptions {
  readonly peers: readonly SyncPeer[]
  readonly verifier: ChainVerifier
  readonly genesis: CertifiedGenesis
  readonly commitRule: CommitRule
  readonly clock?: TestClock
}

/**
 * The node under test: an empty store, the real BlockCommitter, BlockSync, HeadProber and request budget.
 * Its `send` hands each request to the peer (through the codec) and delivers the reply on a later turn of
 * the event loop; everything it sends and every penalty it gives are recorded.
 */
export class SyncingNode {
  readonly blockSync: BlockSync
  readonly prober: HeadProber
  readonly penalties: Array<{ readonly peer: string; readonly penalty: string }> = []
  readonly sent: Array<{ readonly peer: string; readonly message: SyncMessage; readonly phase: string }> = []
  /** get-blocks sent whose reply has not been delivered yet, as `${peer}@${fromHeight}`. */
  readonly outstanding = new Set<string>()
  outstandingMax = 0
  /** Anything that went wrong in the wiring itself (a codec or store error): a test expects none. */
  readonly wiringErrors: unknown[] = []
  readonly #inFlight = new Set<Promise<void>>()

  private constructor(
    readonly store: LedgerStore,
    readonly peers: readonly SyncPeer[],
    options: SyncingNodeOptions,
    committer: BlockCommitter,
  ) {
    const verifier = options.verifier
    const clock: Clock = options.clock ?? new TestClock()
    const budget = new PeerRequestBudget(clock)
    const send = (peer: string, message: SyncMessage) => this.#send(peer, message)
    const peerIds = () => this.peers.map((peer) => peer.id)
    this.prober = new HeadProber({ budget, send, peers: peerIds, verifyQC: verifier.verifyQC, clock })
    this.blockSync = new BlockSync({
      peers: peerIds,
      send,
      budget,
      collectHeads: (asked, signal) => this.prober.collect(asked, signal),
      head: () => store.head(),
      verifyQC: verifier.verifyQC,
      verifyTxs: verifier.verifyTxs,
      commitRule: options.commitRule,
      commit: async (committed) => {
        await committer.commit(committed)
      },
      clock,
      onPenalty: (peer, penalty) => this.penalties.push({ peer, penalty }),
      logger: pino({ level: 'silent' }),
    })
  }

  static async create(
    fixture: SyncFixture,
    options: Omit<SyncingNodeOptions, 'genesis' | 'commitRule'>,
  ): Promise<SyncingNode> {
    const store = await fixture.openEmptyStore()
    return new SyncingNode(
      store,
      options.peers,
      { ...options, genesis: fixture.genesis, commitRule: fixture.commitRule },
      await newCommitter(store, fixture.cluster),
    )
  }

  /** Delivers `message` from `peer` as if it arrived over the network (through the codec). */
  deliver(peer: string, message: SyncMessage): void {
    const decoded = decodeSyncMessage(encodeSyncMessage(message))
    if (decoded.kind === 'blocks') this.blockSync.onMessage(peer, decoded)
    else if (decoded.kind === 'head') {
      const verdict = this.prober.accept(peer, decoded)
      if (!verdict.ok) this.penalties.push({ peer, penalty: verdict.reason })
    } else this.wiringErrors.push(new Error(`a sync client got a ${decoded.kind}`))
  }

  penaltiesOf(peer: string): string[] {
    return this.penalties.filter((each) => each.peer === peer).map((each) => each.penalty)
  }

  /** Waits for every request a peer is still answering (before the stores close). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight])
  }

  #send(peerId: string, message: SyncMessage): boolean {
    this.sent.push({ peer: peerId, message, phase: this.blockSync.phase })
    const peer = this.peers.find((each) => each.id === peerId)
    if (peer === undefined) {
      this.wiringErrors.push(new Error(`sent to unknown peer ${peerId}`))
      return false
    }
    const key = message.kind === 'get-blocks' ? `${peerId}@${message.fromHeight}` : undefined
    if (key !== undefined) {
      this.outstanding.add(key)
      this.outstandingMax = Math.max(this.outstandingMax, this.outstanding.size)
    }
    const exchange = (async () => {
      const reply = await peer.answer(decodeSyncMessage(encodeSyncMessage(message)))
      if (reply === undefined) return
      const bytes = encodeSyncMessage(reply)
      await new Promise((resolve) => setImmediate(resolve))
      if (key !== undefined) this.outstanding.delete(key)
      this.deliver(peerId, decodeSyncMessage(bytes))
    })().catch((error: unknown) => {
      this.wiringErrors.push(error)
    })
    this.#inFlight.add(exchange)
    void exchange.finally(() => this.#inFlight.delete(exchange))
    return true
  }
}

/** Consensus as sync sees it: records pauses, resumes and inputs; drops inputs while paused, as the driver does. */
export class RecordingConsensus implements ConsensusPort {
  paused = false
  readonly pausedAtMs: number[] = []
  readonly resumedAtMs: number[] = []
  readonly resumedWith: ConsensusState[] = []
  readonly enqueued: ConsensusInput[] = []
  droppedWhilePaused = 0

  constructor(private readonly clock: Clock) {}

  async pause(): Promise<void> {
    this.paused = true
    this.pausedAtMs.push(this.clock.nowMs())
  }

  resume(state: ConsensusState): void {
    this.paused = false
    this.resumedAtMs.push(this.clock.nowMs())
    this.resumedWith.push(state)
  }

  enqueue(input: ConsensusInput): void {
    if (this.paused) this.droppedWhilePaused++
    else this.enqueued.push(input)
  }

  treeBlock(): Block | undefined {
    return undefined
  }
}

export interface ServiceHarnessOptions {
  readonly store: SyncStore
  readonly peers: readonly SyncPeer[]
  readonly clock: Clock
  readonly verifier: ChainVerifier
  readonly genesis: CertifiedGenesis
  /** The served chain's rule (default: the simulator's). */
  readonly commitRule?: CommitRule
  readonly commit?: (committed: CommittedBlock) => Promise<unknown>
  readonly rebuildState?: () => Promise<ConsensusState>
  readonly random?: () => number
}

/**
 * The real SyncService wired to in-process peers over the /quorate/sync/1.0.0 codec, with consensus
 * recorded. Replies come back on a later turn of the event loop; what the node sends and every rejection it
 * reports are recorded.
 */
export class ServiceHarness {
  readonly service: SyncService
  readonly consensus: RecordingConsensus
  readonly sent: Array<{ readonly peer: string; readonly message: SyncMessage; readonly atMs: number }> = []
  readonly rejected: Array<{ readonly peer: string; readonly reason: string }> = []
  readonly wiringErrors: unknown[] = []
  readonly #peers: readonly SyncPeer[]
  readonly #inFlight = new Set<Promise<void>>()

  constructor(options: ServiceHarnessOptions) {
    this.#peers = options.peers
    this.consensus = new RecordingConsensus(options.clock)
    this.service = new SyncService({
      store: options.store,
      consensus: this.consensus,
      network: {
        send: (peer, frame) => this.#send(peer, frame, options.clock),
        peers: () => this.#peers.map((peer) => peer.id),
      },
      commit: options.commit ?? (async () => undefined),
      genesis: options.genesis,
      verifyQC: options.verifier.verifyQC,
      verifyTxs: options.verifier.verifyTxs,
      commitRule: options.commitRule ?? defaultSimParams.commitRule,
      rebuildState: options.rebuildState ?? (async () => rebuiltStateMarker),
      clock: options.clock,
      random: options.random ?? Math.random,
      logger: pino({ level: 'silent' }),
      onRejected: (peer, reason) => this.rejected.push({ peer, reason }),
    })
  }

  /** Delivers `message` from `peer` as if it arrived over the network (through the codec). */
  async deliver(peer: string, message: SyncMessage): Promise<void> {
    await this.service.onFrame(peer, encodeSyncMessage(message))
  }

  sentTo(peer: string, kind: SyncMessage['kind']): number {
    return this.sent.filter((each) => each.peer === peer && each.message.kind === kind).length
  }

  rejectionsOf(peer: string): string[] {
    return this.rejected.filter((each) => each.peer === peer).map((each) => each.reason)
  }

  /** Waits for every exchange under way now (its reply handled). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight])
  }

  /** Waits for every exchange still under way, then stops the service. */
  async close(): Promise<void> {
    await this.service.close()
    await Promise.allSettled([...this.#inFlight])
  }

  #send(peerId: string, frame: Uint8Array, clock: Clock): boolean {
    const message = decodeSyncMessage(frame)
    this.sent.push({ peer: peerId, message, atMs: clock.nowMs() })
    const peer = this.#peers.find((each) => each.id === peerId)
    if (peer === undefined) {
      this.wiringErrors.push(new Error(`sent to unknown peer ${peerId}`))
      return false
    }
    const exchange = (async () => {
      const reply = await peer.answer(message)
      if (reply === undefined) return
      await new Promise((resolve) => setImmediate(resolve))
      await this.service.onFrame(peerId, encodeSyncMessage(reply))
    })().catch((error: unknown) => {
      this.wiringErrors.push(error)
    })
    this.#inFlight.add(exchange)
    void exchange.finally(() => this.#inFlight.delete(exchange))
    return true
  }
}

/** What the harness's default rebuildState returns: a test only checks that this very value was resumed with. */
export const rebuiltStateMarker = Object.freeze({ rebuilt: true }) as unknown as ConsensusState
