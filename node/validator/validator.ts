import { toHex } from '../../crypto/hex.js'
import { keyPairFromSecret, sign } from '../../crypto/index.js'
import type { AccountsApp } from '../../ledger/app/index.js'
import { encodeTx, evidenceOffender } from '../../ledger/codec/index.js'
import { genesisBlock, genesisQC } from '../../ledger/genesis.js'
import { txHash } from '../../ledger/hashing.js'
import { mempoolBytesMax, mempoolTxCountMax, viewTimeoutBackoffExponentMax } from '../../ledger/limits.js'
import type { StoreError } from '../../ledger/store/index.js'
import type { Account, Hash, QuorumCertificate, Receipt, Tx } from '../../ledger/types.js'
import { peerIdFromNodeKey } from '../../p2p/index.js'
import { BlockCommitter } from '../committer.js'
import {
  type CommittedBlock,
  type ConsensusConfig,
  type ConsensusState,
  chainShapeOf,
  expectedLeader,
  leaderOverBlock,
  MessageVerifier,
  type TreeEntry,
} from '../consensus/index.js'
import { ConsensusOutbox } from '../consensus-outbox.js'
import { ConsensusDriver } from '../driver.js'
import type { PeerNetwork, ProtocolName } from '../env/network.js'
import { EvidencePool, EvidenceVerifier, encodeEvidenceGossip } from '../evidence/index.js'
import { AdmissionCode, type AdmissionResult } from '../mempool/admission.js'
import { CommittedTxIndex } from '../mempool/committed-txs.js'
import { Mempool, type MempoolLimits } from '../mempool/mempool.js'
import type { OutgoingFilter } from '../outgoing-filter.js'
import { loadTreeRoot } from '../recovery.js'
import type { CommitWaitOptions, RpcBackend } from '../rpc/backend.js'
import { BackgroundAdmissions } from '../rpc/background-admissions.js'
import { SyncService } from '../sync/sync-service.js'
import { TxVerifier } from '../tx-verifier.js'
import { asCorruptData, bootFromStorage, consensusStateOver } from './boot.js'
import { CommitWaiters, type TxCommit } from './commit-waiters.js'
import type { ValidatorEnvironment, ValidatorSettings, ValidatorStorage } from './environment.js'
import { FixtureHarness } from './fixture-harness.js'
import { FrameRouter } from './frame-router.js'
import { GossipPacer } from './gossip-pacer.js'
import { TxIntake } from './tx-intake.js'

/** How far ahead of the next expected nonce an account may queue transactions. */
export const mempoolNonceGapMax = 64

const mempoolLimits: MempoolLimits = {
  txCountMax: mempoolTxCountMax,
  bytesMax: mempoolBytesMax,
  nonceGapMax: mempoolNonceGapMax,
}

export type CommittedListener = (committed: CommittedBlock, stateRoot: Hash) => void

export class ValidatorStartError extends Error {
  static override name = 'ValidatorStartError'
  override name = 'ValidatorStartError'
}

/** What `Validator.create` works out before the parts are built. */
interface Foundation {
  readonly selfIndex: number
  readonly config: ConsensusConfig
  readonly verifier: MessageVerifier
  readonly txVerifier: TxVerifier
  readonly filter: OutgoingFilter | null
  readonly app: AccountsApp
  /** The committed head as a tree entry (what the committer extends). */
  readonly root: TreeEntry
  readonly consensus: ConsensusState
  readonly evidence: EvidencePool
}

/**
 * One validator as shipped: consensus driver, mempool with its journal, block sync and fetch, evidence pool,
 * frame routing with peer scoring, boot and recovery, over an injected environment (clock, network, storage,
 * randomness, signature verification). Production runs it over the system clock, libp2p and LevelDB
 * (node.ts); the simulator runs the very same class over simulated time, network and in-memory storage.
 *
 * `create` boots from storage (nothing is sent, no timer runs); `start` joins the network; `close` stops every
 * part and waits for writes in flight. The storage belongs to the caller, who closes it afterwards.
 */
export class Validator implements RpcBackend {
  readonly genesis: ValidatorSettings['genesis']
  readonly selfIndex: number
  /** The libp2p peer id of this validator's node key. */
  readonly nodeId: string
  readonly ledger: ValidatorStorage['ledger']
  readonly evidence: EvidencePool
  readonly mempool: Mempool
  readonly #env: ValidatorEnvironment
  readonly #app: AccountsApp
  /** The network the validator's own code sends on (a fixture may rewrite what leaves). */
  readonly #network: PeerNetwork
  readonly #driver: ConsensusDriver
  readonly #sync: SyncService
  readonly #outbox: ConsensusOutbox
  readonly #fixture: FixtureHarness | null
  readonly #pacer: GossipPacer
  readonly #router: FrameRouter
  readonly #intake: TxIntake
  readonly #waiters: CommitWaiters
  readonly #committedTxs: CommittedTxIndex
  /** check_tx's view of admission: the same parts, the mempool only read. */
  /** broadcast_tx_async's admissions, not awaited by the RPC answer. */
  readonly #backgroundAdmissions: BackgroundAdmissions
  readonly #committedListeners = new Set<CommittedListener>()
  #started = false
  /** When start() ran (clock ms): peers are not judged unreachable before the connections had time to open. */
  #startedAtMs = 0
  #closing: Promise<void> | null = null

  private constructor(
    env: ValidatorEnvironment,
    storage: ValidatorStorage,
    settings: ValidatorSettings,
    base: Foundation,
  ) {
    const { genesis } = settings
    this.#env = env
    this.genesis = genesis
    this.selfIndex = base.selfIndex
    this.nodeId = peerIdFromNodeKey(genesis.validators[base.selfIndex]!.nodeKey)
    this.ledger = storage.ledger
    this.#app = base.app
    this.evidence = base.evidence
    this.mempool = new Mempool(mempoolLimits, () => env.clock.nowMs())
    this.#waiters = new CommitWaiters(env.clock)
    const nodeKeys = genesis.validators.map((v) => toHex(v.nodeKey))
    this.#fixture =
      base.filter === null ? null : new FixtureHarness(base.filter, nodeKeys, env.network, env.clock)
    this.#pacer = new GossipPacer(this.#fixture?.network() ?? env.network, env.clock, (protocol) =>
      env.metrics.gossipDropped.inc({ protocol }),
    )
    this.#network = this.#pacer.network()
    this.#outbox = new ConsensusOutbox(
      genesis.validators.map((v) => v.nodeKey),
      base.selfIndex,
      env.network,
      env.clock,
      base.filter,
    )
    const committedTxs = new CommittedTxIndex(storage.ledger)
    this.#committedTxs = committedTxs
    this.#intake = new TxIntake({
      chainId: genesis.chainId,
      mempool: this.mempool,
      app: base.app,
      ledger: storage.ledger,
      txVerifier: base.txVerifier,
      committedTxs,
      metrics: env.metrics,
      logger: env.logger,
      gossip: (bytes) => this.#pacer.gossipTx(bytes),
    })
    this.#backgroundAdmissions = new BackgroundAdmissions({
      admit: (bytes) => this.submitTx(bytes),
      onFailed: (error) => {
        env.metrics.txAdmissions.inc({ result: 'error' })
        env.logger.error({ err: error }, 'admission of a broadcast_tx_async transaction failed')
      },
    })
    const committer = new BlockCommitter({
      store: storage.ledger,
      app: base.app,
      mempool: this.mempool,
      committedTxs,
      metrics: env.metrics,
      committedRoot: base.root,
      commitRule: genesis.params.commitRule,
      nowMs: () => env.clock.nowMs(),
      onCommitted: (committed, receipts) => this.#onCommitted(committed, receipts),
    })
    this.#driver = new ConsensusDriver(base.consensus, {
      safety: storage.safety,
      store: storage.ledger,
      app: base.app,
      mempool: this.mempool,
      committer,
      evidence: base.evidence,
      metrics: env.metrics,
      logger: env.logger,
      clock: env.clock,
      blockIntervalMs: settings.blockIntervalMs,
      createEmptyBlocks: settings.createEmptyBlocks,
      gossipPendingTxs: () => this.#gossipPendingTxs(),
      isUnreachable: (index) => this.#isUnreachable(nodeKeys[index]!),
      network: {
        send: (to, message) => this.#outbox.send([to], message),
        broadcast: (message) => this.#outbox.broadcast(message),
        fetchBlock: (hash) => this.#sync.fetchBlock(hash),
      },
    })
    const genesisRoot = genesisBlock(genesis)
    this.#sync = new SyncService({
      store: storage.ledger,
      consensus: {
        pause: () => this.#driver.pause(),
        resume: (state) => this.#driver.resume(state),
        enqueue: (input) => this.#driver.enqueue(input),
        treeBlock: (hash) => this.#driver.state.tree.get(toHex(hash))?.block,
      },
      network: {
        send: (peer, frame) => this.#network.send(peer, 'sync', frame),
        peers: () => this.#network.connectedPeers(),
      },
      commit: (committed) => committer.commit(committed),
      genesis: { block: genesisRoot, qc: genesisQC(genesis) },
      verifyQC: (certificate) => base.verifier.verifyQC(certificate),
      commitRule: genesis.params.commitRule,
      verifyTxs: (block) => block.txs.every((tx) => base.txVerifier.verifySync(tx, toHex(txHash(tx)))),
      rebuildState: async () =>
        consensusStateOver(
          { ledger: storage.ledger, safety: storage.safety, config: base.config },
          await loadTreeRoot(storage.ledger, genesisRoot, chainShapeOf(base.config)),
          this.#driver.state.safety,
        ),
      clock: env.clock,
      random: env.random,
      logger: env.logger,
      onRejected: (peer, reason) => this.#router.reject('sync', reason, peer),
    })
    this.#router = new FrameRouter({
      genesis,
      verifier: base.verifier,
      network: env.network,
      clock: env.clock,
      metrics: env.metrics,
      logger: env.logger,
      consensus: (input) => this.#driver.enqueue(input),
      leaderOverBlock: (view, parentHash) => leaderOverBlock(this.#driver.state, view, parentHash),
      noticeProposalHeight: (height) => this.#sync.noticeHeight(height),
      sync: (peer, frame) => this.#sync.onFrame(peer, frame),
      admitTx: (frame) => this.#admitted(this.#intake.admit(frame)),
      evidence: base.evidence,
    })
  }

  /**
   * Boots a validator from its storage: checks who it is, rebuilds the application and consensus state
   * (corrupt data reaches the operator with the recovery guidance), re-admits the journaled mempool.
   */
  static async create(
    env: ValidatorEnvironment,
    storage: ValidatorStorage,
    settings: ValidatorSettings,
  ): Promise<Validator> {
    const { genesis } = settings
    const publicKey = keyPairFromSecret(settings.consensusSecretKey).publicKey
    const selfIndex = genesis.validators.findIndex((v) => toHex(v.consensusKey) === toHex(publicKey))
    if (selfIndex < 0) throw new ValidatorStartError('the consensus key is not a validator in genesis')
    const validators = genesis.validators.map((v) => v.consensusKey)
    const txVerifier = new TxVerifier(genesis.chainId, env.signatures)
    const qc = genesisQC(genesis)
    const verifier = new MessageVerifier({
      chainId: genesis.chainId,
      validators,
      genesisQC: qc,
      signatures: env.signatures,
      verifyTx: (tx) => txVerifier.verifySync(tx, toHex(txHash(tx))),
      verifyTxAsync: (tx) => txVerifier.verifyAsync(tx, toHex(txHash(tx))),
    })
    try {
      return await Validator.#create(env, storage, settings, {
        selfIndex,
        validators,
        txVerifier,
        verifier,
        qc,
      })
    } catch (error) {
      throw asCorruptData(error, storage.dataDir)
    }
  }

  /** Everything after the identity check reads storage: what it finds unreadable is corrupt data. */
  static async #create(
    env: ValidatorEnvironment,
    storage: ValidatorStorage,
    settings: ValidatorSettings,
    known: {
      readonly selfIndex: number
      readonly validators: readonly Uint8Array[]
      readonly txVerifier: TxVerifier
      readonly verifier: MessageVerifier
      readonly qc: QuorumCertificate
    },
  ): Promise<Validator> {
    const { genesis } = settings
    const { selfIndex, validators, txVerifier, verifier, qc } = known
    const signConsensus = (message: Uint8Array) => sign(message, settings.consensusSecretKey)
    const filter = settings.byzantine ?? null
    if (filter !== null) env.logger.warn({ fixture: filter.name }, 'running as a MALICIOUS test fixture')
    const config: ConsensusConfig = {
      chainId: genesis.chainId,
      validators,
      selfIndex,
      sign: signConsensus,
      params: { ...genesis.params, viewTimeoutBackoffExponentMax },
      createEmptyBlocks: settings.createEmptyBlocks,
    }
    const booted = await bootFromStorage({
      ledger: storage.ledger,
      safety: storage.safety,
      dataDir: storage.dataDir,
      genesisBlock: genesisBlock(genesis),
      genesisQC: qc,
      config,
      verifyQC: (certificate) => verifier.verifyQC(certificate),
      forgetSafetyState: filter?.wipesSafetyStateOnRestart === true,
    })
    env.metrics.committedHeight.set(storage.ledger.head().height)
    // Evidence found before the validator exists (none: the pool only loads) is not gossiped; later evidence is.
    let gossip: ((frame: Uint8Array) => void) | undefined
    const evidence = await EvidencePool.open(
      storage.ledger,
      new EvidenceVerifier({ chainId: genesis.chainId, validators, signatures: env.signatures }),
      {
        onNew: (found, source) => {
          env.metrics.evidence.inc({ kind: found.kind })
          env.logger.warn(
            { kind: found.kind, view: found.view, offender: evidenceOffender(found), source },
            'evidence of misbehaviour',
          )
          gossip?.(encodeEvidenceGossip(found))
        },
      },
    )
    const validator = new Validator(env, storage, settings, {
      selfIndex,
      config,
      verifier,
      txVerifier,
      filter,
      app: booted.app,
      root: booted.root,
      consensus: booted.consensus,
      evidence,
    })
    gossip = (frame) => validator.#network.broadcast('evidence', frame)
    env.metrics.bindState(() => ({
      peersConnected: env.network.connectedPeers().length,
      catchingUp: validator.#sync.catchingUp,
      mempoolBytes: validator.mempool.bytes,
    }))
    await validator.#intake.restore()
    return validator
  }

  /** Joins the network: catches up from peers if they are ahead, then consensus starts. */
  start(): void {
    if (this.#started || this.#closing !== null) return
    this.#started = true
    this.#startedAtMs = this.#env.clock.nowMs()
    this.#fixture?.start(this.#outbox)
    this.#env.logger.info(
      { index: this.selfIndex, peerId: this.nodeId, height: this.ledger.head().height },
      'validator started',
    )
    void this.#sync.catchUp()
  }

  /** A frame from a peer (node key hex) on one of the validator's protocols. */
  onFrame(protocol: ProtocolName, peer: string, frame: Uint8Array): void {
    if (!this.#started || this.#closing !== null) return
    if (this.#fixture !== null && !this.#fixture.incoming(protocol, peer, frame)) return
    this.#router.route(protocol, peer, frame)
  }

  /**
   * A peer's connection closed (the p2p host's 'disconnected' event; the simulator's crash or ban): the view we
   * are in is timed out at once if it waits on that validator's proposal.
   */
  onPeerDisconnected(): void {
    if (this.#started && this.#closing === null) this.#driver.noticePeerLost()
  }

  /**
   * Not connected now, and we have been running for a view timeout: at start the connections are still being
   * opened, and the view timer judges the first views.
   */
  #isUnreachable(nodeKeyHex: string): boolean {
    if (!this.#started) return false
    if (this.#env.clock.nowMs() - this.#startedAtMs < this.genesis.params.viewTimeoutBaseMs) return false
    return !this.#env.network.connectedPeers().includes(nodeKeyHex)
  }

  /** The fixture never reads what peers send (its p2p host stalls inbound streams; the simulator delivers nothing). */
  get readsNothing(): boolean {
    return this.#fixture?.readsNothing === true
  }

  /** Set when the validator stopped on a broken invariant (consensus, sync or state); the process must exit. */
  get failure(): Error | null {
    return this.#driver.failure ?? this.#sync.failure
  }

  /** The current consensus state (read-only; for status, tests and the simulator's checks). */
  get consensus(): ConsensusState {
    return this.#driver.state
  }

  get catchingUp(): boolean {
    return this.#sync.catchingUp
  }

  /**
   * Calls `listener` after every block this validator commits (by consensus or block sync), once it is on
   * disk, with the state root after it; returns an unsubscribe.
   */
  onCommitted(listener: CommittedListener): () => void {
    this.#committedListeners.add(listener)
    return () => this.#committedListeners.delete(listener)
  }

  status(): Record<string, unknown> {
    const head = this.ledger.head()
    return {
      node_id: this.nodeId,
      chain_id: this.genesis.chainId,
      validator_index: this.selfIndex,
      height: head.height,
      block_hash: toHex(head.hash),
      state_root: toHex(head.stateRoot),
      view: this.#driver.state.view,
      leader: expectedLeader(this.#driver.state, this.#driver.state.view),
      catching_up: this.#sync.catchingUp,
      sync: { phase: this.#sync.blockSync.phase, target_height: this.#sync.blockSync.targetHeight },
      peers: this.#env.network.connectedPeers().length,
      mempool_txs: this.mempool.size,
    }
  }

  consensusState(): Record<string, unknown> {
    const { state } = this.#driver
    return {
      view: state.view,
      last_voted_view: state.safety.lastVotedView,
      preferred_view: state.safety.preferredView,
      high_qc: { view: state.safety.highQC.view, block_hash: toHex(state.safety.highQC.blockHash) },
      uncommitted_blocks: state.tree.size - 1,
      views_without_qc: state.viewsWithoutQC,
    }
  }

  account(address: Uint8Array): { readonly account: Account; readonly nextNonce: number } {
    const account = this.#app.account(address)
    return { account, nextNonce: this.mempool.nextNonce(address, account) }
  }

  mempoolStats(): { readonly txCount: number; readonly bytes: number } {
    return { txCount: this.mempool.size, bytes: this.mempool.bytes }
  }

  /** A client's transaction: admitted, journaled (on disk before it is acknowledged), gossiped. */
  submitTx(bytes: Uint8Array): Promise<AdmissionResult> {
    return this.#admitted(this.#intake.submit(bytes))
  }

  submitTxInBackground(bytes: Uint8Array): boolean {
    return this.#backgroundAdmissions.start(bytes)
  }

  checkTx(bytes: Uint8Array): Promise<AdmissionResult> {
    return this.#intake.check(bytes)
  }

  pendingTxs(limit: number): readonly Tx[] {
    return this.mempool.list(limit).map((entry) => entry.tx)
  }

  connectedPeers(): readonly string[] {
    return this.#env.network.connectedPeers()
  }

  /**
   * Our view timed out while transactions wait here: the leader may never have heard of them (gossip is best
   * effort, and a partition may have cut it). Sent again, paced like all tx gossip, at most a block's worth.
   */
  #gossipPendingTxs(): void {
    for (const entry of this.mempool.list(this.#driver.state.config.params.blockTxCountMax)) {
      this.#pacer.gossipTx(encodeTx(entry.tx))
    }
  }

  /** An admitted transaction is work: a leader pacing an idle block proposes now. */
  async #admitted(admission: Promise<AdmissionResult>): Promise<AdmissionResult> {
    const result = await admission
    if (result.code === AdmissionCode.ok) this.#driver.noticeWork()
    return result
  }

  waitForCommit(hashHex: string, options: CommitWaitOptions): Promise<TxCommit | undefined> {
    const { tx } = options
    return this.#waiters.waitForCommit(hashHex, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      // Memory knows a fresh transaction is not committed (committed-txs.ts): the tx index is read only when
      // it might be.
      lookup: async () =>
        tx !== undefined &&
        this.#committedTxs.lookup(tx, hashHex, this.#app.account(tx.from).nonce) === 'not-committed'
          ? undefined
          : this.ledger.txLocation(Uint8Array.from(Buffer.from(hashHex, 'hex'))),
    })
  }

  reportCorruption(error: StoreError): void {
    this.#env.metrics.storeCorruption.inc()
    this.#env.logger.error({ err: error }, 'corrupt stored data: stop this validator and resync it')
  }

  /** Stops every part in reverse order and waits for writes in flight. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#backgroundAdmissions.close()
      this.#fixture?.close()
      this.#pacer.close()
      await this.#sync.close()
      await this.#driver.close()
      this.#waiters.close()
    })()
    return this.#closing
  }

  #onCommitted(committed: CommittedBlock, receipts: readonly Receipt[]): void {
    this.#waiters.committed(receipts, committed.block.header.height)
    const { stateRoot } = this.ledger.head()
    for (const listener of this.#committedListeners) listener(committed, stateRoot)
  }
}
