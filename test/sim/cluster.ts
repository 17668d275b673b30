import { keyPairFromSecret, sign, taggedHash, toHex } from '../../crypto/index.js'
import { decodeConsensusMessage, encodeConsensusMessage } from '../../ledger/codec/index.js'
import { blockHash, txRoot } from '../../ledger/hashing.js'
import type { Block, ConsensusMessage, Hash, QuorumCertificate, SafetyState } from '../../ledger/types.js'
import {
  type CommittedBlock,
  type ConsensusAction,
  type ConsensusInput,
  type ConsensusParams,
  type ConsensusState,
  type Evidence,
  initialState,
  MessageVerifier,
  step,
  type TreeEntry,
} from '../../node/consensus/index.js'
import { EventQueue } from './event-queue.js'
import { Prng } from './prng.js'

/** A simulated cluster driving the production consensus core with real signatures and the real codec. */
export interface ClusterOptions {
  readonly validators: number
  readonly seed: number
  readonly linkDelayMsMin?: number
  readonly linkDelayMsMax?: number
  readonly params?: Partial<ConsensusParams>
}

type SimEvent =
  | { kind: 'deliver'; to: number; from: number; bytes: Uint8Array }
  | { kind: 'timer'; replica: number; view: number; epoch: number }
  | { kind: 'input'; replica: number; input: ConsensusInput; epoch: number }

export interface Replica {
  readonly index: number
  state: ConsensusState
  /** What is on this replica's disk: the last persisted safety state and the committed chain. */
  persistedSafety: SafetyState
  readonly committed: CommittedBlock[]
  readonly stateRoots: Hash[]
  readonly evidence: Evidence[]
  crashed: boolean
  /** Bumped on restart so the timers and inputs of a previous life are ignored. */
  epoch: number
  /** Every vote signed, by view (checked for equivocation across restarts). */
  readonly signedVotes: Map<number, string>
}

export const defaultSimParams: ConsensusParams = {
  viewTimeoutBaseMs: 1_000,
  viewTimeoutMaxMs: 8_000,
  viewTimeoutBackoffExponentMax: 3,
  blockTxCountMax: 100,
  maxClockDriftMs: 5_000,
}

export class Cluster {
  readonly replicas: Replica[] = []
  readonly prng: Prng
  nowMs = 0
  readonly #queue = new EventQueue<SimEvent>()
  readonly #verifier: MessageVerifier
  readonly #options: Required<Omit<ClusterOptions, 'params'>>
  readonly #params: ConsensusParams
  readonly #genesis: TreeEntry
  readonly #genesisStateRoot: Hash
  readonly #secrets: Uint8Array[]
  /** Every block any replica saw, so fetch-block can be served (as block sync will). */
  readonly #knownBlocks = new Map<string, Block>()
  /** Links cut by tests: `${from}->${to}`. */
  readonly cutLinks = new Set<string>()

  constructor(options: ClusterOptions) {
    this.#options = { linkDelayMsMin: 5, linkDelayMsMax: 50, ...options }
    this.#params = { ...defaultSimParams, ...options.params }
    this.prng = new Prng(options.seed)
    this.#secrets = Array.from({ length: options.validators }, () =>
      Uint8Array.from({ length: 32 }, () => this.prng.int(0, 255)),
    )
    const validators = this.#secrets.map((secret) => keyPairFromSecret(secret).publicKey)
    this.#genesisStateRoot = taggedHash('quorate/sim/state', new Uint8Array(0))
    const genesisBlock: Block = {
      header: {
        height: 0,
        view: 0,
        parentHash: new Uint8Array(32),
        justify: { view: 0, blockHash: new Uint8Array(32), signers: [], signatures: [] },
        proposer: 0,
        timestampMs: 0,
        txRoot: txRoot([]),
        stateRoot: this.#genesisStateRoot,
      },
      txs: [],
    }
    const genesisHash = blockHash(genesisBlock.header)
    this.#genesis = {
      block: genesisBlock,
      hash: genesisHash,
      hashHex: toHex(genesisHash),
      parentView: 0,
      grandparentView: 0,
      impliedCommitHeight: 0,
    }
    const genesisQC: QuorumCertificate = { view: 0, blockHash: genesisHash, signers: [], signatures: [] }
    this.#verifier = new MessageVerifier({ chainId: 'sim', validators, genesisQC, verifyTx: () => true })
    for (let index = 0; index < options.validators; index++) {
      const safety: SafetyState = { lastVotedView: 0, preferredView: 0, highQC: genesisQC, lastTimeout: null }
      this.replicas.push({
        index,
        state: this.#freshState(index, safety),
        persistedSafety: safety,
        committed: [],
        stateRoots: [],
        evidence: [],
        crashed: false,
        epoch: 0,
        signedVotes: new Map(),
      })
    }
  }

  #freshState(index: number, safety: SafetyState): ConsensusState {
    const secret = this.#secrets[index]!
    const validators = this.#secrets.map((each) => keyPairFromSecret(each).publicKey)
    return initialState({
      config: {
        chainId: 'sim',
        validators,
        selfIndex: index,
        sign: (message) => sign(message, secret),
        params: this.#params,
      },
      safety,
      root: this.#genesis,
      rootStateRoot: this.#genesisStateRoot,
    })
  }

  start(): void {
    for (const replica of this.replicas) this.#input(replica, { kind: 'start', nowMs: this.nowMs })
  }

  /** Runs events until simulated time passes `untilMs`. */
  runUntil(untilMs: number): void {
    for (;;) {
      const next = this.#queue.pop()
      if (next === undefined) break
      if (next.atMs > untilMs) {
        this.#queue.push(next.atMs, next.event)
        break
      }
      this.nowMs = next.atMs
      this.#handle(next.event)
    }
    this.nowMs = untilMs
  }

  crash(index: number): void {
    this.replicas[index]!.crashed = true
  }

  committedHeight(index: number): number {
    return this.replicas[index]!.committed.length
  }

  #handle(event: SimEvent): void {
    switch (event.kind) {
      case 'deliver': {
        const replica = this.replicas[event.to]!
        if (replica.crashed) return
        const message = decodeConsensusMessage(event.bytes)
        const verdict = this.#verifier.verifyMessage(message)
        if (!verdict.ok) throw new Error(`honest message rejected: ${verdict.reason}`)
        this.#input(replica, toInput(message, this.nowMs))
        return
      }
      case 'timer': {
        const replica = this.replicas[event.replica]!
        if (replica.crashed || replica.epoch !== event.epoch) return
        this.#input(replica, { kind: 'timer', view: event.view })
        return
      }
      case 'input': {
        const replica = this.replicas[event.replica]!
        if (replica.crashed || replica.epoch !== event.epoch) return
        this.#input(replica, event.input)
        return
      }
    }
  }

  #input(replica: Replica, input: ConsensusInput): void {
    const result = step(replica.state, input)
    replica.state = result.state
    for (const action of result.actions) this.#perform(replica, action)
  }

  #perform(replica: Replica, action: ConsensusAction): void {
    switch (action.kind) {
      case 'persist-safety':
        replica.persistedSafety = action.safety
        return
      case 'send':
        this.#send(replica.index, action.to, action.message)
        return
      case 'broadcast':
        for (const other of this.replicas)
          if (other.index !== replica.index) this.#send(replica.index, other.index, action.message)
        return
      case 'schedule-timer':
        this.#queue.push(this.nowMs + action.delayMs, {
          kind: 'timer',
          replica: replica.index,
          view: action.view,
          epoch: replica.epoch,
        })
        return
      case 'request-payload':
        this.#later(replica, 0, { kind: 'payload', view: action.view, txs: [], nowMs: this.nowMs })
        return
      case 'commit':
        for (const committed of action.blocks) {
          replica.committed.push(committed)
          const previous = replica.stateRoots.at(-1) ?? this.#genesisStateRoot
          const root = taggedHash('quorate/sim/state', previous, committed.hash)
          replica.stateRoots.push(root)
          this.#later(replica, 1, {
            kind: 'executed',
            height: committed.block.header.height,
            stateRoot: root,
          })
        }
        return
      case 'fetch-block': {
        const block = this.#knownBlocks.get(toHex(action.hash))
        if (block !== undefined)
          this.#later(replica, 20, { kind: 'block-fetched', block, nowMs: this.nowMs + 20 })
        return
      }
      case 'record-evidence':
        replica.evidence.push(action.evidence)
        return
      case 'entered-view':
        return
    }
  }

  #later(replica: Replica, delayMs: number, input: ConsensusInput): void {
    this.#queue.push(this.nowMs + delayMs, {
      kind: 'input',
      replica: replica.index,
      input,
      epoch: replica.epoch,
    })
  }

  #send(from: number, to: number, message: ConsensusMessage): void {
    if (message.kind === 'proposal') {
      this.#knownBlocks.set(toHex(blockHash(message.proposal.block.header)), message.proposal.block)
    }
    if (message.kind === 'vote') {
      const previous = this.replicas[from]!.signedVotes.get(message.vote.view)
      const hashHex = toHex(message.vote.blockHash)
      if (previous !== undefined && previous !== hashHex)
        throw new Error(`replica ${from} equivocated in view ${message.vote.view}`)
      this.replicas[from]!.signedVotes.set(message.vote.view, hashHex)
    }
    if (this.replicas[from]!.crashed || this.cutLinks.has(`${from}->${to}`)) return
    const delayMs = this.prng.int(this.#options.linkDelayMsMin, this.#options.linkDelayMsMax)
    this.#queue.push(this.nowMs + delayMs, {
      kind: 'deliver',
      from,
      to,
      bytes: encodeConsensusMessage(message),
    })
  }
}

function toInput(message: ConsensusMessage, nowMs: number): ConsensusInput {
  switch (message.kind) {
    case 'proposal':
      return { kind: 'proposal', proposal: message.proposal, nowMs }
    case 'vote':
      return { kind: 'vote', vote: message.vote }
    case 'timeout':
      return { kind: 'timeout', timeout: message.timeout }
  }
}

/** Agreement: every pair of replicas committed the same block hashes at every common height. */
export function checkAgreement(cluster: Cluster): void {
  const longest = cluster.replicas.reduce((a, b) => (a.committed.length >= b.committed.length ? a : b))
  for (const replica of cluster.replicas) {
    replica.committed.forEach((committed, i) => {
      const reference = longest.committed[i]!
      if (toHex(committed.hash) !== toHex(reference.hash)) {
        throw new Error(`agreement violated at height ${i + 1}: replica ${replica.index} vs ${longest.index}`)
      }
      if (committed.block.header.height !== i + 1)
        throw new Error(`replica ${replica.index} skipped a height`)
    })
  }
}
