import { fromHex, toHex } from '../crypto/hex.js'
import { readKeyFile, sign } from '../crypto/index.js'
import { AccountsApp } from '../ledger/app/index.js'
import { DecodeError, decodeConsensusMessage, evidenceOffender } from '../ledger/codec/index.js'
import { type Genesis, genesisBlock, genesisQC, loadGenesisFile } from '../ledger/genesis.js'
import { blockHash, txHash } from '../ledger/hashing.js'
import {
  consensusFrameBytesMax,
  mempoolBytesMax,
  mempoolTxCountMax,
  syncFrameBytesMax,
  txFrameBytesMax,
  viewTimeoutBackoffExponentMax,
} from '../ledger/limits.js'
import { LedgerStore, StoreError, type TxLocation } from '../ledger/store/index.js'
import type { Block, ConsensusMessage, EvidenceRecord, SafetyState } from '../ledger/types.js'
import { P2PHost, type PenaltyReason } from '../p2p/index.js'
import { BlockCommitter } from './committer.js'
import { homePaths, loadConfigFile, type NodeConfig } from './config.js'
import { type CommittedBlock, initialState, inputFromMessage, MessageVerifier } from './consensus/index.js'
import { ConsensusOutbox } from './consensus-outbox.js'
import { ConsensusDriver } from './driver.js'
import { systemClock } from './env/clock.js'
import {
  decodeEvidenceGossip,
  EvidencePool,
  EvidenceVerifier,
  encodeEvidenceGossip,
  evidenceGossipFrameBytesMax,
  evidenceProtocol,
} from './evidence/index.js'
import { corruptDataError, verifyStoredChain } from './integrity.js'
import { createLogger, type Logger } from './logger.js'
import { AdmissionCode, type AdmissionResult, admitTx } from './mempool/admission.js'
import { MempoolJournal } from './mempool/journal.js'
import { Mempool } from './mempool/mempool.js'
import { readmitJournaled } from './mempool/restore.js'
import { NodeMetrics } from './metrics.js'
import type { OutgoingFilterFactory } from './outgoing-filter.js'
import { loadBootStateRoots, loadTreeRoot } from './recovery.js'
import { rpcTokenEnv } from './rpc/client.js'
import { nodeRpcMethods } from './rpc/methods.js'
import { RpcServer } from './rpc/server.js'
import { SyncService } from './sync/sync-service.js'
import { TxVerifier } from './tx-verifier.js'

/** Admission codes that only a faulty or malicious peer produces (honest peers gossip what they admitted). */
const peerFaultAdmissionCodes: ReadonlySet<number> = new Set([
  AdmissionCode.malformed,
  AdmissionCode.wrongChain,
  AdmissionCode.badSignature,
  AdmissionCode.tooLarge,
])

/** How a rejected message scores its sender (reasons an honest peer can also cause, like 'overloaded', don't). */
function penaltyFor(protocol: string, reason: string): PenaltyReason | undefined {
  if (reason === 'malformed' || reason.startsWith('admission-')) return 'invalid-frame'
  if (reason === 'bad-signature' || reason === 'invalid-tx') return 'bad-signature'
  if (reason === 'invalid-qc' || reason === 'invalid-tc' || reason === 'wrong-leader')
    return 'forged-certificate'
  if (reason === 'flood') return 'flood'
  if (protocol === 'sync' && reason !== 'unsolicited' && reason !== 'overloaded') return 'sync-misbehaviour'
  if (protocol === 'evidence' && reason !== 'overloaded' && reason !== 'pool-full') return 'invalid-frame'
  return undefined
}

/** Bound on consensus messages in verification at once; more are dropped (and counted) rather than queued. */
const verificationsInFlightMax = 1_024

export const protocols = {
  consensus: '/quorate/consensus/1.0.0',
  tx: '/quorate/tx/1.0.0',
  sync: '/quorate/sync/1.0.0',
  evidence: evidenceProtocol,
} as const

const mempoolNonceGapMax = 64

export class NodeStartError extends Error {
  static override name = 'NodeStartError'
  override name = 'NodeStartError'
}

/** A validator: store, application, mempool, consensus driver, p2p host and RPC server, wired together. */
export class Node {
  readonly genesis: Genesis
  readonly config: NodeConfig
  readonly store: LedgerStore
  readonly app: AccountsApp
  readonly mempool: Mempool
  readonly metrics: NodeMetrics
  readonly logger: Logger
  readonly selfIndex: number
  readonly dataDir: string
  evidence!: EvidencePool
  #driver!: ConsensusDriver
  #p2p!: P2PHost
  #rpc!: RpcServer
  #verifier!: MessageVerifier
  #outbox!: ConsensusOutbox
  #sync!: SyncService
  readonly #txVerifier: TxVerifier
  /** Admitted transactions are on disk before they are acknowledged (and gossiped). */
  readonly #mempoolJournal: MempoolJournal
  /** Node key (hex) → validator index as a metric label; rejections are counted on the hot path of a flood. */
  readonly #validatorIndexByNodeKey: ReadonlyMap<string, string>
  readonly #commitWaiters = new Map<string, Set<(location: TxLocation) => void>>()
  #closing: Promise<void> | null = null
  /** Consensus messages whose signatures are being verified off the event loop. */
  #verifying = 0

  private constructor(parts: {
    genesis: Genesis
    config: NodeConfig
    store: LedgerStore
    app: AccountsApp
    logger: Logger
    selfIndex: number
    dataDir: string
  }) {
    this.dataDir = parts.dataDir
    this.genesis = parts.genesis
    this.config = parts.config
    this.store = parts.store
    this.app = parts.app
    this.logger = parts.logger
    this.selfIndex = parts.selfIndex
    this.metrics = new NodeMetrics()
    this.mempool = new Mempool({
      txCountMax: mempoolTxCountMax,
      bytesMax: mempoolBytesMax,
      nonceGapMax: mempoolNonceGapMax,
    })
    this.#txVerifier = new TxVerifier(parts.genesis.chainId)
    this.#mempoolJournal = new MempoolJournal(parts.store)
    this.#validatorIndexByNodeKey = new Map(
      parts.genesis.validators.map((v) => [toHex(v.nodeKey), String(v.index)]),
    )
  }

  /** Opens everything in order (store, consensus, p2p, RPC); `close()` releases it in reverse. */
  static async create(
    home: string,
    options: { logger?: Logger; byzantine?: OutgoingFilterFactory } = {},
  ): Promise<Node> {
    const paths = homePaths(home)
    const config = await loadConfigFile(paths.config)
    const genesis = await loadGenesisFile(paths.genesis)
    const nodeKey = await readKeyFile(paths.nodeKey)
    const consensusKey = await readKeyFile(paths.consensusKey)
    const logger = options.logger ?? createLogger(config.logLevel, config.moniker)
    if (options.byzantine !== undefined && !config.testnetMode) {
      throw new NodeStartError(
        '--byzantine runs a malicious test fixture and is refused unless config.json has "testnet_mode": true',
      )
    }
    const selfIndex = genesis.validators.findIndex(
      (v) => toHex(v.consensusKey) === toHex(consensusKey.publicKey),
    )
    if (selfIndex < 0) {
      throw new NodeStartError(
        `the consensus key in ${paths.consensusKey} is not a validator in ${paths.genesis}`,
      )
    }
    if (toHex(genesis.validators[selfIndex]!.nodeKey) !== toHex(nodeKey.publicKey)) {
      throw new NodeStartError(
        `the node key in ${paths.nodeKey} does not match validator ${selfIndex} in genesis`,
      )
    }
    const genesisRoot = genesisBlock(genesis)
    const genesisHash = blockHash(genesisRoot.header)
    const genesisAccounts = genesis.accounts.map(({ address, balance }) => ({
      address,
      account: { balance, nonce: 0 },
    }))
    const store = await LedgerStore.open({
      dir: paths.data,
      chainId: genesis.chainId,
      genesisHash,
      genesisStateRoot: genesisRoot.header.stateRoot,
      genesisAccounts,
    }).catch((error: unknown) => {
      if (error instanceof StoreError && (error.code === 'corrupt' || /corrupt/i.test(error.message))) {
        throw corruptDataError(paths.data, error.message, error)
      }
      throw error
    })
    try {
      const app = AccountsApp.fromAccounts(
        await store.allAccounts().catch((error: unknown) => {
          throw error instanceof StoreError ? corruptDataError(paths.data, error.message, error) : error
        }),
      )
      const head = store.head()
      if (toHex(app.stateRoot()) !== toHex(head.stateRoot)) {
        throw corruptDataError(paths.data, `the accounts do not match the state root of block ${head.height}`)
      }
      const node = new Node({ genesis, config, store, app, logger, selfIndex, dataDir: paths.data })
      await node.#start(consensusKey.secretKey, nodeKey.secretKey, genesisRoot, options.byzantine)
      return node
    } catch (error) {
      await store.close()
      throw error
    }
  }

  async #start(
    consensusSecret: Uint8Array,
    nodeSecret: Uint8Array,
    genesisRoot: ReturnType<typeof genesisBlock>,
    byzantine: OutgoingFilterFactory | undefined,
  ) {
    const { genesis, store } = this
    const qc = genesisQC(genesis)
    const validators = genesis.validators.map((v) => v.consensusKey)
    this.#verifier = new MessageVerifier({
      chainId: genesis.chainId,
      validators,
      genesisQC: qc,
      verifyTx: (tx) => this.#txVerifier.verifySync(tx, toHex(txHash(tx))),
      verifyTxAsync: (tx) => this.#txVerifier.verifyAsync(tx, toHex(txHash(tx))),
    })
    const signConsensus = (message: Uint8Array) => sign(message, consensusSecret)
    const filter =
      byzantine?.({
        selfIndex: this.selfIndex,
        validatorCount: validators.length,
        chainId: genesis.chainId,
        sign: signConsensus,
        random: Math.random,
        nowMs: Date.now,
        genesisHash: qc.blockHash,
        blockTxCountMax: genesis.params.blockTxCountMax,
      }) ?? null
    if (filter !== null) this.logger.warn({ fixture: filter.name }, 'running as a MALICIOUS test fixture')
    const stored = filter?.wipesSafetyStateOnRestart ? null : await store.loadSafetyState()
    const safety: SafetyState = stored ?? {
      lastVotedView: 0,
      preferredView: 0,
      highQC: qc,
      lastTimeout: null,
    }
    const config = {
      chainId: genesis.chainId,
      validators,
      selfIndex: this.selfIndex,
      sign: signConsensus,
      params: { ...genesis.params, viewTimeoutBackoffExponentMax },
    }
    const stateOverStore = async (safetyNow: SafetyState) => {
      const root = await loadTreeRoot(store, genesisRoot)
      return initialState({
        config,
        safety: safetyNow,
        root,
        stateRoots: await loadBootStateRoots(store, root),
        highestTC: await store.loadHighestTC(),
      })
    }
    await verifyStoredChain(store, (certificate) => this.#verifier.verifyQC(certificate), this.dataDir)
    this.metrics.committedHeight.set(store.head().height)
    await this.#restoreMempool()
    this.evidence = await EvidencePool.open(
      store,
      new EvidenceVerifier({ chainId: genesis.chainId, validators }),
      {
        onNew: (found, source) => {
          this.metrics.evidence.inc({ kind: found.kind })
          this.logger.warn(
            { kind: found.kind, view: found.view, offender: evidenceOffender(found), source },
            'evidence of misbehaviour',
          )
          this.#p2p?.broadcast(protocols.evidence, encodeEvidenceGossip(found))
        },
      },
    )
    const committer = new BlockCommitter(store, this.app, this.mempool, this.metrics, (committed) =>
      this.#onCommitted(committed),
    )
    this.#driver = new ConsensusDriver(await stateOverStore(safety), {
      store,
      app: this.app,
      mempool: this.mempool,
      committer,
      evidence: this.evidence,
      metrics: this.metrics,
      logger: this.logger,
      nowMs: () => Date.now(),
      blockIntervalMs: this.config.blockIntervalMs,
      network: {
        send: (to, message) => this.#outbox.send([to], message),
        broadcast: (message) => this.#outbox.broadcast(message),
        fetchBlock: (hash) => this.#sync.fetchBlock(hash),
      },
    })
    const verifyTxs = (block: Block) =>
      block.txs.every((tx) => this.#txVerifier.verifySync(tx, toHex(txHash(tx))))
    this.#sync = new SyncService({
      store,
      consensus: {
        pause: () => this.#driver.pause(),
        resume: (state) => this.#driver.resume(state),
        enqueue: (input) => this.#driver.enqueue(input),
        treeBlock: (hash) => this.#driver.state.tree.get(toHex(hash))?.block,
      },
      network: {
        send: (peer, frame) => this.#p2p.send(peer, protocols.sync, frame),
        peers: () => this.#p2p.connectedPeers(),
      },
      commit: (committed) => committer.commit(committed),
      genesis: { block: genesisRoot, qc },
      verifyQC: (certificate) => this.#verifier.verifyQC(certificate),
      verifyTxs,
      rebuildState: () => stateOverStore(this.#driver.state.safety),
      clock: systemClock(),
      random: Math.random,
      logger: this.logger,
      onRejected: (peer, reason) => this.#reject('sync', reason, peer),
    })

    const peerAddresses = new Map(this.config.peers.map((peer) => [toHex(peer.nodeKey), peer.address]))
    this.#p2p = await P2PHost.create({
      nodeSecretKey: nodeSecret,
      listenAddresses: [this.config.p2pListen],
      peers: genesis.validators.map((v) => {
        const address = peerAddresses.get(toHex(v.nodeKey))
        return { nodeKey: v.nodeKey, addresses: address === undefined ? [] : [address] }
      }),
      protocols: [
        // Per peer: consensus traffic is a few messages per view; sync asks one batch at a time; evidence is rare.
        {
          id: protocols.consensus,
          frameBytesMax: consensusFrameBytesMax,
          framesPerSecondMax: 1_000,
          burstFramesMax: 2_000,
        },
        {
          id: protocols.tx,
          frameBytesMax: txFrameBytesMax,
          framesPerSecondMax: 2_000,
          burstFramesMax: 4_000,
        },
        {
          id: protocols.sync,
          frameBytesMax: syncFrameBytesMax,
          framesPerSecondMax: 100,
          burstFramesMax: 200,
        },
        {
          id: protocols.evidence,
          frameBytesMax: evidenceGossipFrameBytesMax,
          framesPerSecondMax: 20,
          burstFramesMax: 100,
        },
      ],
      onFrame: (protocolId, from, frame) => this.#onFrame(protocolId, from, frame),
      onPeerEvent: (event) => {
        this.metrics.peerEvents.inc(
          { kind: event.kind, reason: event.reason ?? '', peer: this.#peerLabel(event.nodeKeyHex) },
          event.kind === 'flood-dropped' ? (event.count ?? 1) : 1,
        )
        if (event.kind !== 'connected' && event.kind !== 'disconnected')
          this.logger.debug(event, 'peer event')
      },
    })
    this.#outbox = new ConsensusOutbox(
      genesis.validators.map((v) => v.nodeKey),
      this.selfIndex,
      (nodeKeyHex, frame) => this.#p2p.send(nodeKeyHex, protocols.consensus, frame),
      filter,
    )
    this.#rpc = await RpcServer.create({
      host: this.config.rpcListen.host,
      port: this.config.rpcListen.port,
      methods: nodeRpcMethods(this),
      ...bearerToken(this.config),
      onRejected: (reason) => this.metrics.rpcRejections.inc({ reason }),
      extraRoutes: {
        'GET /metrics': async (_request, response) => {
          response.writeHead(200, { 'content-type': this.metrics.registry.contentType })
          response.end(await this.metrics.registry.metrics())
        },
      },
    })
    this.logger.info(
      { index: this.selfIndex, peerId: this.#p2p.peerId, rpc: this.#rpc.url, height: store.head().height },
      'validator started',
    )
    // Catch up from peers first (if they are ahead); then consensus starts with the saved pending blocks.
    void this.#sync.catchUp()
  }

  get rpcUrl(): string {
    return this.#rpc.url
  }

  get failure(): Error | null {
    return this.#driver.failure ?? this.#sync.failure
  }

  status() {
    const head = this.store.head()
    return {
      node_id: this.#p2p.peerId,
      chain_id: this.genesis.chainId,
      validator_index: this.selfIndex,
      height: head.height,
      block_hash: toHex(head.hash),
      state_root: toHex(head.stateRoot),
      view: this.#driver.state.view,
      catching_up: this.#sync.catchingUp,
      sync: { phase: this.#sync.blockSync.phase, target_height: this.#sync.blockSync.targetHeight },
      peers: this.#p2p.connectedPeers().length,
      mempool_txs: this.mempool.size,
    }
  }

  consensusStateJson() {
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

  /** Admission for a client transaction; accepted ones are gossiped to every validator. */
  async submitTx(bytes: Uint8Array): Promise<AdmissionResult> {
    const result = await this.#admit(bytes)
    if (result.code === 0) this.#p2p.broadcast(protocols.tx, bytes)
    return result
  }

  /** Admission, then the journal: an accepted transaction is on disk before anyone hears it was accepted. */
  async #admit(bytes: Uint8Array): Promise<AdmissionResult> {
    const result = await admitTx(this.#admissionDeps(), bytes)
    if (result.code === AdmissionCode.ok && result.tx !== null && result.hashHex !== null) {
      try {
        await this.#mempoolJournal.append(fromHex(result.hashHex), result.tx)
      } catch (error) {
        this.mempool.remove(result.hashHex)
        throw error
      }
    }
    this.metrics.txAdmissions.inc({ result: result.code === 0 ? 'accepted' : `rejected-${result.code}` })
    this.metrics.mempoolTxs.set(this.mempool.size)
    return result
  }

  #admissionDeps() {
    return {
      chainId: this.genesis.chainId,
      mempool: this.mempool,
      app: this.app,
      txVerifier: this.#txVerifier,
      isCommitted: (hash: Uint8Array) => this.store.hasTx(hash),
    }
  }

  /** On start: the journaled transactions are admitted again; those that no longer pass leave the journal. */
  async #restoreMempool(): Promise<void> {
    const journaled = await this.store.mempoolTxs()
    const dropped = await readmitJournaled(this.#admissionDeps(), journaled)
    await this.store.deleteMempoolTxs(dropped)
    this.metrics.mempoolTxs.set(this.mempool.size)
    if (journaled.length > 0)
      this.logger.info(
        { restored: this.mempool.size, dropped: dropped.length },
        'mempool restored from its journal',
      )
  }

  /** Resolves with the tx's location once committed, or undefined after `timeoutMs` or on abort. */
  waitForCommit(hashHex: string, timeoutMs: number, signal: AbortSignal): Promise<TxLocation | undefined> {
    return new Promise((resolve) => {
      const waiters = this.#commitWaiters.get(hashHex) ?? new Set()
      this.#commitWaiters.set(hashHex, waiters)
      const finish = (location: TxLocation | undefined) => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        waiters.delete(finish)
        if (waiters.size === 0) this.#commitWaiters.delete(hashHex)
        resolve(location)
      }
      const onAbort = () => finish(undefined)
      const timer = setTimeout(onAbort, timeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      waiters.add(finish)
    })
  }

  #onCommitted({ block }: CommittedBlock): void {
    block.txs.forEach((tx, index) => {
      const waiters = this.#commitWaiters.get(toHex(txHash(tx)))
      if (waiters !== undefined) for (const wake of [...waiters]) wake({ height: block.header.height, index })
    })
  }

  #onFrame(protocolId: string, fromNodeKeyHex: string, frame: Uint8Array): void {
    if (protocolId === protocols.consensus) this.#onConsensusFrame(fromNodeKeyHex, frame)
    else if (protocolId === protocols.tx) void this.#onTxFrame(fromNodeKeyHex, frame)
    else if (protocolId === protocols.sync)
      void this.#sync.onFrame(fromNodeKeyHex, frame).catch((error) => this.#internalError(error))
    else if (protocolId === protocols.evidence) this.#onEvidenceFrame(fromNodeKeyHex, frame)
  }

  /** A gossiped transaction: admitted like a client's; input no honest peer would send is a rejection. */
  async #onTxFrame(peer: string, frame: Uint8Array): Promise<void> {
    try {
      const { code } = await this.#admit(frame)
      if (peerFaultAdmissionCodes.has(code)) this.#reject('tx', `admission-${code}`, peer)
    } catch (error) {
      this.#internalError(error)
    }
  }

  /** Evidence gossiped by a peer: verified and stored once by the pool, which then gossips it on itself. */
  #onEvidenceFrame(peer: string, frame: Uint8Array): void {
    let found: EvidenceRecord
    try {
      found = decodeEvidenceGossip(frame)
    } catch (error) {
      if (error instanceof DecodeError) {
        this.#reject('evidence', 'malformed', peer)
        return
      }
      throw error
    }
    void this.evidence
      .submit(found, 'peer')
      .then((result) => {
        if (result !== 'added' && result !== 'duplicate') this.#reject('evidence', result, peer)
      })
      .catch((error) => this.#internalError(error))
  }

  /** A peer's message was rejected: counted by protocol, reason and peer. */
  #reject(protocol: string, reason: string, peerNodeKeyHex?: string): void {
    this.metrics.rejectedMessages.inc({ protocol, reason, peer: this.#peerLabel(peerNodeKeyHex) })
    // Invalid input lowers the peer's score; enough of it disconnects the peer for a while (p2p bans).
    const penalty = penaltyFor(protocol, reason)
    if (penalty !== undefined && peerNodeKeyHex !== undefined) this.#p2p.penalize(peerNodeKeyHex, penalty)
  }

  #onConsensusFrame(peer: string, frame: Uint8Array): void {
    let message: ConsensusMessage
    try {
      message = decodeConsensusMessage(frame)
    } catch (error) {
      if (error instanceof DecodeError) {
        this.#reject('consensus', 'malformed', peer)
        return
      }
      throw error
    }
    if (this.#verifying >= verificationsInFlightMax) {
      this.#reject('consensus', 'overloaded', peer)
      return
    }
    this.#verifying++
    void this.#verifier
      .verifyMessageAsync(message)
      .then((verdict) => {
        if (!verdict.ok) {
          this.#reject('consensus', verdict.reason, peer)
          return
        }
        if (message.kind === 'proposal') this.#sync.noticeHeight(message.proposal.block.header.height)
        this.#driver.enqueue(inputFromMessage(message, Date.now()))
      })
      .catch((error: unknown) => this.#internalError(error))
      .finally(() => {
        this.#verifying--
      })
  }

  /** Corrupt stored data found while serving a read: loud in the log and in metrics. */
  reportCorruption(error: StoreError): void {
    this.metrics.storeCorruption.inc()
    this.logger.error(
      { err: error },
      `corrupt stored data in ${this.dataDir}: stop this validator and resync it`,
    )
  }

  /** Validators by index (a small, fixed label set); anything else as 'other'. */
  #peerLabel(nodeKeyHex: string | undefined): string {
    if (nodeKeyHex === undefined) return 'unknown'
    return this.#validatorIndexByNodeKey.get(nodeKeyHex) ?? 'other'
  }

  #internalError(error: unknown): void {
    this.logger.error({ err: error }, 'internal error while handling a peer frame')
  }

  /** Releases everything in reverse order of opening. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#rpc?.close()
      await this.#sync?.close()
      this.#outbox?.close()
      await this.#p2p?.close()
      await this.#driver?.close()
      await this.store.close()
      this.metrics.close()
      this.logger.info('validator stopped')
    })()
    return this.#closing
  }
}

/** The RPC bearer token: QUORATE_RPC_TOKEN overrides config.json's rpc_bearer_token. */
function bearerToken(config: NodeConfig): { bearerToken?: string } {
  const token = process.env[rpcTokenEnv] || config.rpcBearerToken
  return token === undefined ? {} : { bearerToken: token }
}
