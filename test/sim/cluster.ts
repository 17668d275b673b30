import { fromHex, toHex } from '../../crypto/hex.js'
import { type KeyPair, keyPairFromSecret, sign } from '../../crypto/index.js'
import { AccountsApp } from '../../ledger/app/index.js'
import {
  decodeConsensusMessage,
  EncodeError,
  encodeConsensusMessage,
  encodeTx,
} from '../../ledger/codec/index.js'
import { blockHash, txHash, txRoot } from '../../ledger/hashing.js'
import type { Block, ConsensusMessage, QuorumCertificate, SafetyState } from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import {
  type ConsensusAction,
  type ConsensusInput,
  type ConsensusParams,
  inputFromMessage,
  MessageVerifier,
  step,
} from '../../node/consensus/index.js'
import { AdmissionCode, type AdmissionDeps, admitTx } from '../../node/mempool/admission.js'
import { takeBatch } from '../../node/mempool/batch.js'
import { readmitJournaled } from '../../node/mempool/restore.js'
import { TxVerifier } from '../../node/tx-verifier.js'
import { type ByzantineName, byzantineFixtures } from '../../testnet/byzantine/index.js'
import { EventQueue } from './event-queue.js'
import { SimNetwork } from './network.js'
import { Prng } from './prng.js'
import { type SimGenesis, SimNode } from './sim-node.js'

export const simChainId = 'sim'

export const defaultSimParams: ConsensusParams = {
  viewTimeoutBaseMs: 1_000,
  viewTimeoutMaxMs: 8_000,
  viewTimeoutBackoffExponentMax: 3,
  blockTxCountMax: 100,
  maxClockDriftMs: 5_000,
}

/** One simulated process: a validator index, and optionally a malicious fixture or a twin role. */
export interface NodeSpec {
  readonly index: number
  readonly byzantine?: ByzantineName
  /** Shares its key with another node of the same index (Twins). */
  readonly twin?: boolean
}

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
  /** Minimum time between a parent block and its child, as the production driver waits. */
  readonly blockIntervalMs?: number
}

/** Safety or liveness violations found while running; the checkers add theirs after the run. */
export interface Violation {
  readonly kind: 'agreement' | 'validity' | 'equivocation' | 'honest-rejected' | 'exactly-once' | 'liveness'
  readonly detail: string
}

type SimEvent =
  | { kind: 'deliver'; to: number; from: number; bytes: Uint8Array }
  | { kind: 'timer'; node: number; view: number; epoch: number }
  | { kind: 'input'; node: number; input: ConsensusInput; epoch: number }
  | { kind: 'client'; client: number }
  | { kind: 'gossip'; node: number; bytes: Uint8Array }
  | { kind: 'tick' }
  | { kind: 'call'; run: () => void }
  | { kind: 'restore-mempool'; node: number; epoch: number }

interface Client {
  readonly keys: KeyPair
  nonce: number
}

const tickIntervalMs = 100
const executionDelayMs = 1
const fetchDelayMs = 20

/**
 * A deterministic cluster: a seeded PRNG, a simulated clock and network, real Ed25519 signatures and the real
 * codec, driving the production consensus core. The same seed gives the same run, byte for byte.
 */
export class Cluster {
  readonly nodes: SimNode[] = []
  readonly prng: Prng
  readonly network: SimNetwork
  readonly violations: Violation[] = []
  readonly verifier: MessageVerifier
  readonly genesis: SimGenesis
  readonly validatorCount: number
  /** Every commit by any node: who, which height, when, and in which view the node was. */
  readonly commitLog: Array<{ node: number; height: number; atMs: number; view: number }> = []
  /** Clients stop submitting at this time (so the run can check that everything acknowledged commits). */
  clientsStopAtMs = Number.POSITIVE_INFINITY
  /** Transfers a node admitted (code 0): the client was told they are accepted. */
  readonly acknowledged: string[] = []
  readonly rejectedByzantineMessages = { count: 0 }
  nowMs = 0
  /** Digest of everything that happened, to compare runs byte for byte. */
  traceHash = 0
  readonly #queue = new EventQueue<SimEvent>()
  readonly #txVerifier = new TxVerifier(simChainId)
  readonly #clients: Client[] = []
  readonly #clientIntervalMs: number
  readonly #blockIntervalMs: number
  /** Every block any node sent, so fetch-block can be served (as block sync does). */
  readonly #knownBlocks = new Map<string, Block>()
  /** What each honest validator index signed, by kind and view, across restarts: to catch equivocation. */
  readonly #signed = new Map<string, string>()

  constructor(options: ClusterOptions) {
    this.prng = new Prng(options.seed)
    this.network = new SimNetwork(this.prng)
    this.validatorCount = options.validators
    this.#clientIntervalMs = options.clientIntervalMs ?? 0
    this.#blockIntervalMs = options.blockIntervalMs ?? 250
    const params = { ...defaultSimParams, ...options.params }
    const secrets = Array.from({ length: options.validators }, () => this.#randomBytes(32))
    const validators = secrets.map((secret) => keyPairFromSecret(secret).publicKey)
    for (let i = 0; i < (options.clients ?? 0); i++) {
      this.#clients.push({ keys: keyPairFromSecret(this.#randomBytes(32)), nonce: 0 })
    }
    this.genesis = makeGenesis(this.#clients.map((client) => client.keys.publicKey))
    this.verifier = new MessageVerifier({
      chainId: simChainId,
      validators,
      genesisQC: this.genesis.safety.highQC,
      verifyTx: (tx) => this.#txVerifier.verifySync(tx, toHex(txHash(tx))),
    })
    const specs: readonly NodeSpec[] = options.nodes ?? validators.map((_, index) => ({ index }))
    specs.forEach((spec, id) => {
      const secret = secrets[spec.index]!
      const config = {
        chainId: simChainId,
        validators,
        selfIndex: spec.index,
        sign: (message: Uint8Array) => sign(message, secret),
        params,
      }
      const behaviour =
        spec.byzantine === undefined
          ? null
          : byzantineFixtures[spec.byzantine]({
              selfIndex: spec.index,
              validatorCount: options.validators,
              chainId: simChainId,
              sign: config.sign,
              random: () => this.prng.next(),
              nowMs: () => this.nowMs,
              genesisHash: this.genesis.hash,
              blockTxCountMax: params.blockTxCountMax,
            })
      this.nodes.push(new SimNode(id, spec.index, config, this.genesis, behaviour, spec.twin === true))
    })
  }

  #randomBytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.prng.int(0, 255))
  }

  get honestNodes(): SimNode[] {
    return this.nodes.filter((node) => node.isHonest)
  }

  start(): void {
    for (const node of this.nodes) this.#input(node, { kind: 'start', nowMs: this.nowMs })
    this.#queue.push(tickIntervalMs, { kind: 'tick' })
    for (let client = 0; client < this.#clients.length; client++) this.#scheduleClient(client)
  }

  /** Runs `run` at simulated time `atMs` (fault injection, checks). */
  at(atMs: number, run: () => void): void {
    this.#queue.push(atMs, { kind: 'call', run })
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
      await this.#handle(item.event)
    }
    this.nowMs = untilMs
  }

  crash(id: number): void {
    this.nodes[id]!.crash()
    this.#trace(`crash ${id}`)
  }

  restart(id: number): void {
    const node = this.nodes[id]!
    node.restart()
    this.#trace(`restart ${id}`)
    for (const block of node.savedPendingBlocks())
      this.#input(node, { kind: 'block-fetched', block, nowMs: this.nowMs })
    this.#input(node, { kind: 'start', nowMs: this.nowMs })
    this.#queue.push(this.nowMs, { kind: 'restore-mempool', node: id, epoch: node.epoch })
  }

  async #handle(event: SimEvent): Promise<void> {
    switch (event.kind) {
      case 'deliver':
        return this.#deliver(event.to, event.from, event.bytes)
      case 'timer': {
        const node = this.nodes[event.node]!
        if (node.up && node.epoch === event.epoch) this.#input(node, { kind: 'timer', view: event.view })
        return
      }
      case 'input': {
        const node = this.nodes[event.node]!
        if (node.up && node.epoch === event.epoch) this.#input(node, event.input)
        return
      }
      case 'client':
        return this.#clientSubmits(event.client)
      case 'gossip': {
        const node = this.nodes[event.node]!
        if (node.up) await this.#admit(node, event.bytes)
        return
      }
      case 'tick':
        for (const node of this.nodes) {
          if (!node.up || node.behaviour?.tick === undefined) continue
          for (const out of node.behaviour.tick(this.nowMs))
            this.#sendTo(node, out.to, out.message, out.delayMs ?? 0)
        }
        this.#queue.push(this.nowMs + tickIntervalMs, { kind: 'tick' })
        return
      case 'call':
        event.run()
        return
      case 'restore-mempool': {
        const node = this.nodes[event.node]!
        if (!node.up || node.epoch !== event.epoch) return
        const journal = node.disk.mempoolJournal
        const dropped = await readmitJournaled(this.#admissionDeps(node), [...journal.values()])
        for (const hash of dropped) journal.delete(toHex(hash))
        this.#trace(`restore-mempool ${node.id} ${journal.size}`)
        return
      }
    }
  }

  #deliver(to: number, from: number, bytes: Uint8Array): void {
    const node = this.nodes[to]!
    if (!node.up) return
    this.#trace(`deliver ${from}>${to} ${bytes.length}`)
    const sender = this.nodes[from]!
    let message: ConsensusMessage
    try {
      message = decodeConsensusMessage(bytes)
    } catch (error) {
      if (sender.isHonest)
        this.violations.push({ kind: 'honest-rejected', detail: `undecodable from ${from}: ${error}` })
      this.rejectedByzantineMessages.count++
      return
    }
    const verdict = this.verifier.verifyMessage(message)
    if (!verdict.ok) {
      if (sender.isHonest) {
        this.violations.push({
          kind: 'honest-rejected',
          detail: `${message.kind} from ${from}: ${verdict.reason}`,
        })
      }
      this.rejectedByzantineMessages.count++
      return
    }
    this.#input(node, inputFromMessage(message, this.nowMs))
  }

  #input(node: SimNode, input: ConsensusInput): void {
    const result = step(node.state, input)
    node.state = result.state
    for (const action of result.actions) this.#perform(node, action)
  }

  #perform(node: SimNode, action: ConsensusAction): void {
    switch (action.kind) {
      case 'persist-safety':
        node.disk.safety = action.safety
        return
      case 'persist-block':
        node.disk.pendingBlocks.set(toHex(action.hash), action.block)
        return
      case 'persist-tc':
        node.disk.highestTC = action.tc
        return
      case 'send':
        this.#send(node, [action.to], action.message)
        return
      case 'broadcast': {
        const others = Array.from({ length: this.validatorCount }, (_, i) => i).filter(
          (i) => i !== node.index,
        )
        this.#send(node, others, action.message)
        return
      }
      case 'schedule-timer':
        this.#queue.push(this.nowMs + action.delayMs, {
          kind: 'timer',
          node: node.id,
          view: action.view,
          epoch: node.epoch,
        })
        return
      case 'request-payload':
        this.#schedulePayload(node, action.view, toHex(action.parentHash))
        return
      case 'commit':
        for (const committed of action.blocks) {
          const stateRoot = node.commit(committed)
          this.#trace(`commit ${node.id} ${committed.block.header.height} ${toHex(committed.hash)}`)
          this.commitLog.push({
            node: node.id,
            height: committed.block.header.height,
            atMs: this.nowMs,
            view: node.state.view,
          })
          this.#later(node, executionDelayMs, {
            kind: 'executed',
            height: committed.block.header.height,
            stateRoot,
          })
        }
        return
      case 'fetch-block': {
        const block = this.#knownBlocks.get(toHex(action.hash))
        if (block !== undefined) {
          this.#later(node, fetchDelayMs, { kind: 'block-fetched', block, nowMs: this.nowMs + fetchDelayMs })
        }
        return
      }
      case 'record-evidence':
      case 'entered-view':
        return
    }
  }

  #schedulePayload(node: SimNode, view: number, parentHex: string): void {
    const parent = node.state.tree.get(parentHex)
    const earliest = (parent?.block.header.timestampMs ?? 0) + this.#blockIntervalMs
    const epoch = node.epoch
    const due = () => {
      if (!node.up || node.epoch !== epoch || node.state.view !== view) return
      // As the driver does: the batch is taken once every committed block has executed.
      if (node.state.executedHeight < node.state.committingHeight) {
        this.at(this.nowMs + executionDelayMs, due)
        return
      }
      const txs = takeBatch(node.state, fromHex(parentHex), node.mempool, node.app)
      this.#input(node, { kind: 'payload', view, parentHash: fromHex(parentHex), txs, nowMs: this.nowMs })
    }
    this.at(Math.max(this.nowMs, earliest), due)
  }

  #later(node: SimNode, delayMs: number, input: ConsensusInput): void {
    this.#queue.push(this.nowMs + delayMs, { kind: 'input', node: node.id, input, epoch: node.epoch })
  }

  /** The honest core wants `message` sent to validator indices `to`; a fixture may rewrite it. */
  #send(node: SimNode, to: readonly number[], message: ConsensusMessage): void {
    if (node.isHonest) this.#recordSigned(node, message)
    if (message.kind === 'proposal') {
      this.#knownBlocks.set(toHex(blockHash(message.proposal.block.header)), message.proposal.block)
    }
    const outgoing =
      node.behaviour === null
        ? to.map((index) => ({ to: index, message }))
        : node.behaviour.outgoing(message, to)
    for (const out of outgoing)
      this.#sendTo(node, out.to, out.message, 'delayMs' in out ? (out.delayMs ?? 0) : 0)
  }

  #sendTo(node: SimNode, index: number, message: ConsensusMessage, extraDelayMs: number): void {
    let bytes: Uint8Array
    try {
      bytes = encodeConsensusMessage(message)
    } catch (error) {
      if (error instanceof EncodeError && !node.isHonest) return
      throw error
    }
    if (message.kind === 'proposal' && !node.isHonest) {
      this.#knownBlocks.set(toHex(blockHash(message.proposal.block.header)), message.proposal.block)
    }
    for (const target of this.nodes) {
      if (target.index !== index || target.id === node.id) continue
      for (const delayMs of this.network.deliveries(node.id, target.id)) {
        this.#queue.push(this.nowMs + extraDelayMs + delayMs, {
          kind: 'deliver',
          from: node.id,
          to: target.id,
          bytes,
        })
      }
    }
  }

  /** No honest validator signs two different proposals, votes or timeouts for one view, ever. */
  #recordSigned(node: SimNode, message: ConsensusMessage): void {
    if (message.kind === 'timeout-certificate') return // signed by others, only relayed
    const [kind, view, digest] =
      message.kind === 'vote'
        ? ['vote', message.vote.view, toHex(message.vote.blockHash)]
        : message.kind === 'timeout'
          ? ['timeout', message.timeout.view, String(message.timeout.highQC.view)]
          : ['proposal', message.proposal.block.header.view, toHex(blockHash(message.proposal.block.header))]
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
    this.#queue.push(this.nowMs + delay, { kind: 'client', client })
  }

  /** A client sends its next transfer to a random live node, which gossips it to every node. */
  async #clientSubmits(index: number): Promise<void> {
    if (this.nowMs >= this.clientsStopAtMs) return
    this.#scheduleClient(index)
    const client = this.#clients[index]!
    const live = this.nodes.filter((node) => node.up && node.isHonest)
    const entry = live[this.prng.int(0, live.length - 1)]
    if (entry === undefined) return
    const to = this.#clients[(index + 1) % this.#clients.length]!.keys.publicKey
    const tx = buildTransfer({
      chainId: simChainId,
      keyPair: client.keys,
      to,
      amount: 1n,
      nonce: client.nonce,
    })
    const bytes = encodeTx(tx)
    const result = await this.#admit(entry, bytes)
    if (result !== 0) return
    client.nonce++
    this.acknowledged.push(toHex(txHash(tx)))
    for (const node of this.nodes) {
      if (node.id === entry.id) continue
      this.#queue.push(this.nowMs + this.prng.int(5, 40), { kind: 'gossip', node: node.id, bytes })
    }
  }

  /** Admission as the node does it: an admitted transaction goes into the node's journal too. */
  async #admit(node: SimNode, bytes: Uint8Array): Promise<number> {
    const result = await admitTx(this.#admissionDeps(node), bytes)
    if (result.code === AdmissionCode.ok && result.hashHex !== null && result.tx !== null)
      node.disk.mempoolJournal.set(result.hashHex, result.tx)
    return result.code
  }

  #admissionDeps(node: SimNode): AdmissionDeps {
    return {
      chainId: simChainId,
      mempool: node.mempool,
      app: node.app,
      txVerifier: this.#txVerifier,
      isCommitted: async (hash) => node.committedTxs.has(toHex(hash)),
    }
  }

  #trace(line: string): void {
    // FNV-1a over the event log: two runs with equal digests did the same things in the same order.
    let hash = this.traceHash ^ 0x811c9dc5
    for (let i = 0; i < line.length; i++) hash = Math.imul(hash ^ line.charCodeAt(i), 0x01000193)
    this.traceHash = hash >>> 0
  }
}

function makeGenesis(clientKeys: readonly Uint8Array[]): SimGenesis {
  const accounts = clientKeys.map((address) => ({ address, account: { balance: 1_000_000n, nonce: 0 } }))
  const stateRoot = AccountsApp.fromAccounts(accounts).stateRoot()
  const block: Block = {
    header: {
      height: 0,
      view: 0,
      parentHash: new Uint8Array(32),
      justify: { view: 0, blockHash: new Uint8Array(32), signers: [], signatures: [] },
      proposer: 0,
      timestampMs: 0,
      txRoot: txRoot([]),
      stateRoot,
    },
    txs: [],
  }
  const hash = blockHash(block.header)
  const genesisQC: QuorumCertificate = { view: 0, blockHash: hash, signers: [], signatures: [] }
  const safety: SafetyState = { lastVotedView: 0, preferredView: 0, highQC: genesisQC, lastTimeout: null }
  return { block, hash, stateRoot, safety, accounts }
}
