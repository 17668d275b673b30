import { setImmediate as settle } from 'node:timers/promises'
import { pino } from 'pino'
import { toHex } from '../../crypto/hex.js'
import type { SignatureVerifier } from '../../crypto/index.js'
import { decodeConsensusMessage, encodeTx } from '../../ledger/codec/index.js'
import type { ConsensusParams } from '../../ledger/genesis.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import { rpcCommitWaitMs } from '../../ledger/limits.js'
import { genesisChain, LedgerStore, SafetyStore } from '../../ledger/store/index.js'
import type { ConsensusMessage } from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { MessageVerifier } from '../../node/consensus/index.js'
import { type ProtocolName, protocolNames } from '../../node/env/network.js'
import { NodeMetrics } from '../../node/metrics.js'
import { protocolIds, protocolLimits } from '../../node/protocols.js'
import { createFixture } from '../../node/validator/fixture-harness.js'
import { Validator } from '../../node/validator/validator.js'
import { peerPolicyDefault } from '../../p2p/constants.js'
import type { PeerEvent, PenaltyReason } from '../../p2p/index.js'
import { PeerGuard } from '../../p2p/peer-guard.js'
import { byzantineFixtures } from '../../testnet/byzantine/index.js'
import { EventQueue } from './event-queue.js'
import { memoisedSignatureVerifier } from './memo-signatures.js'
import { SimNetwork } from './network.js'
import { Prng } from './prng.js'
import { simClock } from './sim-clock.js'
import { type SimChain, simChain } from './sim-genesis.js'
import { type NodeSpec, SimNode } from './sim-node.js'
import { SimPeerNetwork, type SimWire, stalledQueueLengthMax } from './sim-peer-network.js'

export { defaultSimParams, simChainId } from './sim-genesis.js'
export type { NodeSpec } from './sim-node.js'

export interface ClusterOptions {
  readonly validators: number
  readonly seed: number
  /** Defaults to one honest node per validator. */
  readonly nodes?: readonly NodeSpec[]
  readonly params?: Partial<ConsensusParams>
  /** Funded client accounts that submit transfers. */
  readonly clients?: number
  /** Mean time between one client's transfers, in simulated ms (0: no workload). */
  readonly clientIntervalMs?: number
  /**
   * 'open' (default): each client submits every ~clientIntervalMs whatever happens. 'closed': each client
   * submits its next transfer as soon as its entry node committed the previous one (as a client of
   * broadcast_tx_commit does), so throughput is concurrency divided by latency.
   */
  readonly clientLoop?: 'open' | 'closed'
  /** As leader, wait this long after the parent block before proposing (the validator's config). */
  readonly blockIntervalMs?: number
  /** The validator's config create_empty_blocks (default: false, as a validator's default, quiescent). */
  readonly createEmptyBlocks?: boolean
}

export type ViolationKind =
  | 'agreement'
  | 'validity'
  | 'equivocation'
  | 'honest-rejected'
  | 'honest-penalized'
  | 'exactly-once'
  | 'liveness'
  | 'durability'
  | 'halted'

/** Safety or liveness violations found while running; the checkers add theirs after the run. */
export interface Violation {
  readonly kind: ViolationKind
  readonly detail: string
}

/** One acknowledged transfer: when and where it was submitted, and when its entry node committed it. */
export interface TxRecord {
  readonly hashHex: string
  readonly submittedAtMs: number
  readonly entryNode: number
  /** The client that sent it (its index). */
  readonly client?: number
  committedAtMs?: number
}

const silentLogger = pino({ level: 'silent' })

/**
 * A deterministic cluster of whole validators: every node runs the production Validator (driver, mempool and
 * journal, block sync and fetch, evidence pool, frame routing and peer scoring, boot and recovery) over the
 * real ledger store on in-memory storage that loses unsynced writes at a crash, on simulated time and a
 * simulated network, with real Ed25519 signatures and the real codec. One seeded PRNG drives the network, the
 * faults, the clients and every node's randomness, so the same seed gives the same run, byte for byte.
 *
 * Between two events every asynchronous step of every node runs to completion (storage and verification
 * settle in microtasks), so simulated time only moves when all nodes are idle.
 */
export class Cluster implements SimWire {
  readonly nodes: SimNode[] = []
  readonly prng: Prng
  /** The links: delay, loss, duplication, partitions. */
  readonly network: SimNetwork
  readonly violations: Violation[] = []
  readonly chain: SimChain
  readonly verifier: MessageVerifier
  readonly validatorCount: number
  /** Every commit by any node: who, which height, when, and in which view the node was. */
  readonly commitLog: Array<{ node: number; height: number; atMs: number; view: number }> = []
  /** Clients stop submitting at this time (so the run can check that everything acknowledged commits). */
  clientsStopAtMs = Number.POSITIVE_INFINITY
  /** Transfers a node admitted (code 0): the client was told they are accepted. */
  readonly acknowledged: string[] = []
  readonly txRecords = new Map<string, TxRecord>()
  /** Penalties one node gave another: who, whom, why, when. */
  readonly penalties: Array<{
    from: number
    to: number
    reason: PenaltyReason
    atMs: number
    banned: boolean
  }> = []
  nowMs = 0
  /** Frames (and their bytes) any node handed to the network, on every protocol. */
  framesSent = 0
  bytesSent = 0
  /** The same, per protocol (the scaling table splits traffic by what it carries). */
  readonly sentByProtocol: Record<ProtocolName, { frames: number; bytes: number }> = {
    consensus: { frames: 0, bytes: 0 },
    tx: { frames: 0, bytes: 0 },
    'tx-batch': { frames: 0, bytes: 0 },
    sync: { frames: 0, bytes: 0 },
    evidence: { frames: 0, bytes: 0 },
  }
  /** Digest of everything that happened, to compare runs byte for byte. */
  traceHash = 0
  readonly #queue = new EventQueue<() => void | Promise<void>>()
  readonly #signatures: SignatureVerifier = memoisedSignatureVerifier()
  readonly #clients: Array<{ nonce: number; waitingFor: string | null }> = []
  readonly #clientLoop: 'open' | 'closed'
  readonly #clientIntervalMs: number
  readonly #blockIntervalMs: number
  readonly #createEmptyBlocks: boolean
  readonly #nodeRandom: Prng[]
  /** What each honest validator index signed, by kind and view, across restarts: to catch equivocation. */
  readonly #signed = new Map<string, string>()
  readonly #recordedFrames = new WeakSet<Uint8Array>()
  /** Frames queued towards a process that reads nothing, per (sender, receiver). */
  readonly #stalledQueue = new Map<string, number>()

  constructor(options: ClusterOptions) {
    this.prng = new Prng(options.seed)
    this.network = new SimNetwork(this.prng)
    this.validatorCount = options.validators
    this.#clientIntervalMs = options.clientIntervalMs ?? 0
    this.#blockIntervalMs = options.blockIntervalMs ?? 250
    this.#createEmptyBlocks = options.createEmptyBlocks ?? false
    this.chain = simChain(this.prng, options.validators, options.clients ?? 0, options.params)
    this.#clientLoop = options.clientLoop ?? 'open'
    for (let i = 0; i < (options.clients ?? 0); i++) this.#clients.push({ nonce: 0, waitingFor: null })
    this.verifier = new MessageVerifier({
      chainId: this.chain.genesis.chainId,
      validators: this.chain.genesis.validators.map((v) => v.consensusKey),
      genesisQC: this.chain.qc,
      signatures: this.#signatures,
      verifyTx: () => true,
    })
    const specs = options.nodes ?? this.chain.genesis.validators.map((v) => ({ index: v.index }))
    specs.forEach((spec, id) => {
      const nodeKey = toHex(this.chain.nodeKeys[spec.index]!.publicKey)
      this.nodes.push(new SimNode(id, spec, nodeKey, this.chain.consensusKeys[spec.index]!.secretKey))
    })
    this.#nodeRandom = this.nodes.map(() => new Prng(this.prng.int(0, 2 ** 31 - 1)))
  }

  get honestNodes(): SimNode[] {
    return this.nodes.filter((node) => node.isHonest)
  }

  /** Boots every node at the current time, and starts the clients. */
  start(): void {
    for (const node of this.nodes) this.at(this.nowMs, () => this.#boot(node))
    for (let client = 0; client < this.#clients.length; client++) this.#scheduleClient(client)
  }

  /** Runs `run` at simulated time `atMs` (fault injection, checks). */
  at(atMs: number, run: () => void | Promise<void>): void {
    this.#queue.push(Math.max(atMs, this.nowMs), run)
  }

  /** Runs events until simulated time reaches `untilMs`. */
  async runUntil(untilMs: number): Promise<void> {
    for (
      let next = this.#queue.peekTime();
      next !== undefined && next <= untilMs;
      next = this.#queue.peekTime()
    ) {
      const item = this.#queue.pop()!
      this.nowMs = item.atMs
      await item.event()
      // Every node's storage and verification work settles in microtasks: drain them before time moves.
      if (this.#queue.peekTime() !== item.atMs) await settle()
    }
    this.nowMs = untilMs
  }

  crash(id: number): void {
    const node = this.nodes[id]!
    if (!node.up) return
    node.crash()
    this.#trace(`crash ${id}`)
    this.#connectionsClosed(this.nodes.filter((other) => other !== node))
  }

  /**
   * As a p2p host reports a closed connection: the nodes are told right after (their peers' connectivity has
   * changed by then), like the host's 'disconnected' event.
   */
  #connectionsClosed(nodes: readonly SimNode[]): void {
    this.at(this.nowMs, () => {
      for (const node of nodes) node.validator?.onPeerDisconnected()
    })
  }

  /** Starts a crashed node again (now): it boots from what its storage kept. */
  restart(id: number): void {
    const node = this.nodes[id]!
    if (node.up) return
    this.#trace(`restart ${id}`)
    this.at(this.nowMs, () => this.#boot(node))
  }

  // SimWire: what the nodes' networks ask of the cluster.

  connectedPeers(fromId: number): string[] {
    const from = this.nodes[fromId]!
    const peers = new Set<string>()
    for (const to of this.nodes) {
      if (to.index !== from.index && this.#connected(from, to)) peers.add(to.nodeKeyHex)
    }
    return [...peers]
  }

  transmit(fromId: number, peer: string, protocol: ProtocolName, frame: Uint8Array): boolean {
    const from = this.nodes[fromId]!
    this.framesSent++
    this.bytesSent += frame.length
    const byProtocol = this.sentByProtocol[protocol]
    byProtocol.frames++
    byProtocol.bytes += frame.length
    if (from.isHonest && protocol === 'consensus') this.#recordSigned(from, frame)
    let sent = false
    for (const to of this.nodes) {
      if (to.nodeKeyHex !== peer || to.id === fromId || !this.#connected(from, to)) continue
      if (to.validator?.readsNothing === true) {
        const key = `${fromId}>${to.id}`
        const queued = this.#stalledQueue.get(key) ?? 0
        if (queued >= stalledQueueLengthMax) continue
        this.#stalledQueue.set(key, queued + 1)
        sent = true
        continue
      }
      const epoch = to.epoch
      for (const delayMs of this.network.deliveries(fromId, to.id)) {
        this.at(this.nowMs + delayMs, () => this.#deliver(from, to, epoch, protocol, frame))
      }
      sent = true
    }
    return sent
  }

  penalize(fromId: number, peer: string, reason: PenaltyReason): void {
    this.nodes[fromId]!.guard?.penalize(peer, reason)
  }

  /** A node's peer policy lowered a peer's score (a rejection, or a flood) or banned it. */
  #onPeerEvent(from: SimNode, event: PeerEvent): void {
    if (event.kind !== 'penalized' && event.kind !== 'banned') return
    for (const to of this.nodes) {
      if (to.nodeKeyHex !== event.nodeKeyHex) continue
      const banned = event.kind === 'banned'
      const reason = event.reason ?? 'flood'
      if (!banned) this.penalties.push({ from: from.id, to: to.id, reason, atMs: this.nowMs, banned })
      if (from.isHonest && to.isHonest) {
        this.violations.push({
          kind: 'honest-penalized',
          detail: `honest node ${from.id} ${banned ? 'banned' : `penalised (${reason})`} honest node ${to.id} at ${this.nowMs} ms`,
        })
      }
    }
  }

  /** Both up and booted, and neither keeps the other away (a ban). */
  #connected(a: SimNode, b: SimNode): boolean {
    if (a.validator === null || b.validator === null) return false
    return !(a.guard?.isKeptAway(b.nodeKeyHex) ?? false) && !(b.guard?.isKeptAway(a.nodeKeyHex) ?? false)
  }

  #deliver(from: SimNode, to: SimNode, epoch: number, protocol: ProtocolName, frame: Uint8Array): void {
    // A frame for an earlier life of the receiver was on a connection that died with it.
    if (to.epoch !== epoch || to.validator === null || to.guard === null) return
    // As the host does before it reads a frame: banned, blocked or over the flood gate, it is dropped unread.
    if (!to.guard.admitFrame(from.nodeKeyHex, protocolIds[protocol], this.nowMs)) return
    this.#trace(`deliver ${from.id}>${to.id} ${protocol} ${frame.length}`)
    to.validator.onFrame(protocol, from.nodeKeyHex, frame)
  }

  async #boot(node: SimNode): Promise<void> {
    if (node.up) return
    node.up = true
    const epoch = ++node.epoch
    const alive = () => node.up && node.epoch === epoch
    const clock = simClock(this, alive, node.skewMs)
    const random = this.#nodeRandom[node.id]!
    const metrics = new NodeMetrics()
    node.metricsOfLives.push(metrics)
    const { chain } = this
    const ledger = await LedgerStore.open({
      dir: `sim/node-${node.id}/data`,
      database: node.storage.database('data'),
      ...genesisChain(chain.genesis),
    })
    const { store: safety } = await SafetyStore.open({
      dir: `sim/node-${node.id}/safety`,
      database: node.storage.database('safety'),
      chainId: chain.genesis.chainId,
      genesisHash: chain.hash,
    })
    const fixtureName = node.spec.byzantine
    const settings = {
      genesis: chain.genesis,
      consensusSecretKey: node.consensusSecretKey,
      blockIntervalMs: this.#blockIntervalMs,
      createEmptyBlocks: this.#createEmptyBlocks,
      ...(fixtureName === undefined
        ? {}
        : {
            byzantine: createFixture(byzantineFixtures[fixtureName], {
              genesis: chain.genesis,
              consensusSecretKey: node.consensusSecretKey,
              clock,
              random: () => random.next(),
            }),
          }),
    }
    let validator: Validator
    try {
      validator = await Validator.create(
        {
          clock,
          network: new SimPeerNetwork(this, node.id, alive),
          random: () => random.next(),
          signatures: this.#signatures,
          logger: silentLogger,
          metrics,
        },
        { ledger, safety, dataDir: `sim/node-${node.id}/data` },
        settings,
      )
    } catch (error) {
      this.violations.push({ kind: 'halted', detail: `node ${node.id} failed to boot: ${String(error)}` })
      node.up = false
      return
    }
    if (!alive()) return // crashed while booting
    if (ledger.head().height !== node.committedHeight) {
      this.violations.push({
        kind: 'durability',
        detail: `node ${node.id} booted at height ${ledger.head().height} but had committed ${node.committedHeight}`,
      })
    }
    node.validator = validator
    node.guard = new PeerGuard({
      peers: chain.nodeKeys.map((key) => toHex(key.publicKey)).filter((key) => key !== node.nodeKeyHex),
      protocols: new Map(protocolNames.map((name) => [protocolIds[name], protocolLimits[name]])),
      policy: peerPolicyDefault,
      clock,
      onEvent: (event) => this.#onPeerEvent(node, event),
      // Connectivity is derived from the guards of both ends (see #connected); a ban closes the connection.
      onKeepAway: (peer) =>
        this.#connectionsClosed(this.nodes.filter((other) => other === node || other.nodeKeyHex === peer)),
      onLetBack: () => {},
    })
    validator.onCommitted((committed, stateRoot) => {
      if (!alive()) return
      const height = committed.block.header.height
      if (height !== node.committedHeight + 1) {
        this.violations.push({
          kind: 'durability',
          detail: `node ${node.id} committed height ${height} after ${node.committedHeight}`,
        })
        return
      }
      node.recordCommit(committed, stateRoot)
      this.#trace(`commit ${node.id} ${height} ${toHex(committed.hash)}`)
      this.commitLog.push({ node: node.id, height, atMs: this.nowMs, view: validator.consensus.view })
      for (const tx of committed.block.txs) {
        const record = this.txRecords.get(toHex(txHash(tx)))
        if (record === undefined || record.entryNode !== node.id || record.committedAtMs !== undefined)
          continue
        record.committedAtMs = this.nowMs
        if (record.client !== undefined) this.#clientCommitted(record.client, record.hashHex)
      }
    })
    this.#trace(`boot ${node.id} ${ledger.head().height}`)
    validator.start()
  }

  /** No honest validator signs two different proposals, votes or timeouts for one view, ever. */
  #recordSigned(node: SimNode, frame: Uint8Array): void {
    if (this.#recordedFrames.has(frame)) return
    this.#recordedFrames.add(frame)
    let message: ConsensusMessage
    try {
      message = decodeConsensusMessage(frame)
    } catch (error) {
      this.violations.push({
        kind: 'honest-rejected',
        detail: `node ${node.id} sent an undecodable frame: ${error}`,
      })
      return
    }
    if (message.kind === 'timeout-certificate') return // signed by others, only relayed
    const [kind, view, digest, signer] =
      message.kind === 'vote'
        ? ['vote', message.vote.view, toHex(message.vote.blockHash), message.vote.voter]
        : message.kind === 'timeout'
          ? ['timeout', message.timeout.view, String(message.timeout.highQC.view), message.timeout.sender]
          : [
              'proposal',
              message.proposal.block.header.view,
              toHex(blockHash(message.proposal.block.header)),
              message.proposal.block.header.proposer,
            ]
    if (signer !== node.index) return
    const key = `${node.index}:${kind}:${view}`
    const earlier = this.#signed.get(key)
    if (earlier !== undefined && earlier !== digest) {
      this.violations.push({
        kind: 'equivocation',
        detail: `validator ${node.index} signed two ${kind}s in view ${view}`,
      })
    }
    this.#signed.set(key, digest)
  }

  #scheduleClient(client: number): void {
    if (this.#clientIntervalMs <= 0) return
    const delay = this.prng.int(this.#clientIntervalMs / 2, (this.#clientIntervalMs * 3) / 2)
    this.at(this.nowMs + delay, () => this.#clientSubmits(client))
  }

  /** Closed loop: the client's transfer committed at its entry node, so it sends the next one. */
  #clientCommitted(index: number, hashHex: string): void {
    const client = this.#clients[index]!
    if (this.#clientLoop !== 'closed' || client.waitingFor !== hashHex) return
    client.waitingFor = null
    this.at(this.nowMs + 1, () => this.#clientSubmits(index))
  }

  /** A client sends its next transfer to a random live honest node, as broadcast_tx_sync does. */
  async #clientSubmits(index: number): Promise<void> {
    if (this.nowMs >= this.clientsStopAtMs) return
    const client = this.#clients[index]!
    // Open loop: the next one is due anyway; closed loop: once this one commits (or, if it is refused, soon).
    if (this.#clientLoop === 'open') this.#scheduleClient(index)
    const live = this.nodes.filter((node) => node.validator !== null && node.isHonest && !node.spec.noClients)
    const entry = live[this.prng.int(0, live.length - 1)]
    if (entry === undefined) {
      if (this.#clientLoop === 'closed') this.#scheduleClient(index)
      return
    }
    const keys = this.chain.clientKeys
    const tx = buildTransfer({
      chainId: this.chain.genesis.chainId,
      keyPair: keys[index]!,
      to: keys[(index + 1) % keys.length]!.publicKey,
      amount: 1n,
      nonce: client.nonce,
    })
    const validator = entry.validator!
    const epoch = entry.epoch
    const result = await validator.submitTx(encodeTx(tx))
    if (result.code !== 0 || entry.epoch !== epoch) {
      if (this.#clientLoop === 'closed') this.#scheduleClient(index)
      return
    }
    client.nonce++
    const hashHex = toHex(txHash(tx))
    client.waitingFor = hashHex
    if (this.#clientLoop === 'closed') {
      // A client gives up waiting after the RPC's commit wait (say its entry node crashed) and moves on.
      this.at(this.nowMs + rpcCommitWaitMs, () => {
        if (client.waitingFor !== hashHex) return
        client.waitingFor = null
        void this.#clientSubmits(index)
      })
    }
    this.acknowledged.push(hashHex)
    this.txRecords.set(hashHex, { hashHex, submittedAtMs: this.nowMs, entryNode: entry.id, client: index })
  }

  #trace(line: string): void {
    // FNV-1a over the event log: two runs with equal digests did the same things in the same order.
    let hash = this.traceHash ^ 0x811c9dc5
    for (let i = 0; i < line.length; i++) hash = Math.imul(hash ^ line.charCodeAt(i), 0x01000193)
    this.traceHash = hash >>> 0
  }
}
