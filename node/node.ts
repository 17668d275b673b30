import { toHex } from '../crypto/hex.js'
import { nodeSignatureVerifier, readKeyFile } from '../crypto/index.js'
import { loadGenesisFile } from '../ledger/genesis.js'
import { genesisChain, LedgerStore, SafetyStore, StoreError } from '../ledger/store/index.js'
import { P2PHost, type PeerEvent } from '../p2p/index.js'
import { homePaths, loadConfigFile, type NodeConfig } from './config.js'
import { systemClock } from './env/clock.js'
import { faultRpcMethods } from './faults/fault-methods.js'
import { LinkFaults } from './faults/link-faults.js'
import { SkewableClock } from './faults/skewable-clock.js'
import { hostNetwork, hostProtocols, protocolNameOf } from './host-network.js'
import { corruptDataError } from './integrity.js'
import { Lifecycle } from './lifecycle.js'
import { createLogger, type Logger } from './logger.js'
import { NodeMetrics } from './metrics.js'
import { MetricsServer } from './metrics-server.js'
import type { OutgoingFilterFactory } from './outgoing-filter.js'
import { peerLabeller } from './peer-labels.js'
import { rpcTokenEnv } from './rpc/client.js'
import { nodeRpcMethods } from './rpc/methods.js'
import { RpcServer } from './rpc/server.js'
import { createFixture } from './validator/fixture-harness.js'
import { Validator } from './validator/validator.js'

export class NodeStartError extends Error {
  static override name = 'NodeStartError'
  override name = 'NodeStartError'
}

export interface NodeOptions {
  readonly logger?: Logger
  /** A malicious test fixture; refused unless the config has testnet_mode. */
  readonly byzantine?: OutgoingFilterFactory
}

/**
 * A validator process: the Validator bound to the system clock, LevelDB, the libp2p host and the JSON-RPC
 * server, read from its home directory. Parts open in order (storage, p2p host, validator, RPC) and close in
 * reverse; a part that fails to open closes the ones before it.
 */
export class Node {
  readonly validator: Validator
  readonly logger: Logger
  readonly metrics: NodeMetrics
  readonly #rpc: RpcServer
  readonly #lifecycle: Lifecycle

  private constructor(
    validator: Validator,
    rpc: RpcServer,
    logger: Logger,
    metrics: NodeMetrics,
    lifecycle: Lifecycle,
  ) {
    this.validator = validator
    this.#rpc = rpc
    this.logger = logger
    this.metrics = metrics
    this.#lifecycle = lifecycle
  }

  static async create(home: string, options: NodeOptions = {}): Promise<Node> {
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
    const self = genesis.validators.find((v) => toHex(v.consensusKey) === toHex(consensusKey.publicKey))
    if (self === undefined) {
      throw new NodeStartError(
        `the consensus key in ${paths.consensusKey} is not a validator in ${paths.genesis}`,
      )
    }
    if (toHex(self.nodeKey) !== toHex(nodeKey.publicKey)) {
      throw new NodeStartError(
        `the node key in ${paths.nodeKey} does not match validator ${self.index} in genesis`,
      )
    }
    const lifecycle = new Lifecycle()
    const metrics = await lifecycle.open(
      'metrics',
      async () => new NodeMetrics({ processMetrics: true }),
      (opened) => opened.close(),
    )
    const chain = genesisChain(genesis)
    const ledger = await lifecycle.open(
      'ledger store',
      () =>
        LedgerStore.open({
          dir: paths.data,
          ...chain,
        }).catch((error: unknown) => {
          if (error instanceof StoreError && error.code === 'corrupt')
            throw corruptDataError(paths.data, error.message, error)
          throw error
        }),
      (opened) => opened.close(),
    )
    // Testnet mode: the runner may step this clock and fault this validator's outgoing links (docs/fault-lab.md).
    const faults = config.testnetMode
      ? { links: new LinkFaults(), clock: new SkewableClock(systemClock()) }
      : undefined
    const clock = faults?.clock ?? systemClock()
    const fixture =
      options.byzantine === undefined
        ? undefined
        : createFixture(options.byzantine, {
            genesis,
            consensusSecretKey: consensusKey.secretKey,
            clock,
            random: Math.random,
          })
    const { store: safety, migrated } = await lifecycle.open(
      'safety store',
      () =>
        SafetyStore.open({
          dir: paths.safety,
          chainId: genesis.chainId,
          genesisHash: chain.genesisHash,
          retired: ledger,
        }).catch((error: unknown) => {
          if (error instanceof StoreError && error.code === 'corrupt')
            throw corruptDataError(paths.safety, error.message, error)
          throw error
        }),
      (opened) => opened.store.close(),
    )
    if (migrated !== null)
      logger.info({ from: paths.data, to: paths.safety }, 'moved the safety state into its own directory')
    let validator: Validator | undefined
    const host = await lifecycle.open(
      'p2p host',
      () =>
        P2PHost.create({
          ...hostOptions(config, genesis.validators, nodeKey.secretKey, metrics, logger, {
            deliver: (frame) => validator?.onFrame(...frame),
            peerLost: () => validator?.onPeerDisconnected(),
          }),
          // The 'never reads' fixture: inbound streams are accepted and never read (testnet mode only).
          stallInboundStreams: fixture?.readsNothing === true,
        }),
      (opened) => opened.close(),
    )
    validator = await lifecycle.open(
      'validator',
      () =>
        Validator.create(
          {
            clock,
            network:
              faults === undefined
                ? hostNetwork(host)
                : faults.links.wrap(hostNetwork(host), clock, Math.random),
            random: Math.random,
            signatures: nodeSignatureVerifier,
            logger,
            metrics,
          },
          { ledger, safety, dataDir: paths.data },
          {
            genesis,
            consensusSecretKey: consensusKey.secretKey,
            blockIntervalMs: config.blockIntervalMs,
            createEmptyBlocks: config.createEmptyBlocks,
            ...(fixture === undefined ? {} : { byzantine: fixture }),
          },
        ),
      (opened) => opened.close(),
    )
    const opened = validator
    const rpc = await lifecycle.open(
      'RPC server',
      () =>
        RpcServer.create({
          host: config.rpcListen.host,
          port: config.rpcListen.port,
          methods: {
            ...nodeRpcMethods(opened),
            ...(faults === undefined
              ? {}
              : faultRpcMethods({ ...faults, validators: genesis.validators, selfIndex: self.index })),
          },
          events: {
            onCommitted: (listener) => opened.onCommitted((committed) => listener(committed)),
            receipt: (hash) => ledger.receipt(hash),
          },
          ...bearerToken(config),
          onRejected: (reason) => metrics.rpcRejections.inc({ reason }),
          onCalled: (method, seconds) => metrics.rpcDuration.observe({ method }, seconds),
          logger,
          extraRoutes: {
            'GET /metrics': async (_request, response) => {
              response.writeHead(200, { 'content-type': metrics.registry.contentType })
              response.end(await metrics.registry.metrics())
            },
          },
        }),
      (server) => server.close(),
    )
    logger.info({ rpc: rpc.url }, 'RPC listening')
    const { metricsListen } = config
    if (metricsListen !== undefined) {
      const server = await lifecycle.open(
        'metrics server',
        () => MetricsServer.listen(metricsListen, metrics),
        (opened) => opened.close(),
      )
      logger.info({ metrics: server.url }, 'metrics listening')
    }
    validator.start()
    return new Node(validator, rpc, logger, metrics, lifecycle)
  }

  get rpcUrl(): string {
    return this.#rpc.url
  }

  get failure(): Error | null {
    return this.validator.failure
  }

  /** Closes every part in reverse order of opening. Idempotent. */
  async close(): Promise<void> {
    await this.#lifecycle.close((error, part) => this.logger.error({ err: error, part }, 'failed to close'))
    this.logger.info('validator stopped')
  }
}

function hostOptions(
  config: NodeConfig,
  validators: ReadonlyArray<{ readonly nodeKey: Uint8Array }>,
  nodeSecretKey: Uint8Array,
  metrics: NodeMetrics,
  logger: Logger,
  to: {
    readonly deliver: (frame: Parameters<Validator['onFrame']>) => void
    /** A peer's connection closed. */
    readonly peerLost: () => void
  },
) {
  const addresses = new Map(config.peers.map((peer) => [toHex(peer.nodeKey), peer.address]))
  const peerLabel = peerLabeller(validators)
  return {
    nodeSecretKey,
    listenAddresses: [config.p2pListen],
    peers: validators.map((v) => {
      const address = addresses.get(toHex(v.nodeKey))
      return { nodeKey: v.nodeKey, addresses: address === undefined ? [] : [address] }
    }),
    protocols: hostProtocols(),
    onFrame: (protocolId: string, from: string, frame: Uint8Array) => {
      const protocol = protocolNameOf(protocolId)
      if (protocol !== undefined) to.deliver([protocol, from, frame])
    },
    onPeerEvent: (event: PeerEvent) => {
      metrics.peerEvents.inc(
        { kind: event.kind, reason: event.reason ?? '', peer: peerLabel(event.nodeKeyHex) },
        event.kind === 'flood-dropped' ? (event.count ?? 1) : 1,
      )
      if (event.kind === 'disconnected') to.peerLost()
      else if (event.kind !== 'connected') logger.debug(event, 'peer event')
    },
  }
}

/** The RPC bearer token: QUORATE_RPC_TOKEN overrides config.json's rpc_bearer_token. */
function bearerToken(config: NodeConfig): { bearerToken?: string } {
  const token = process.env[rpcTokenEnv] || config.rpcBearerToken
  return token === undefined ? {} : { bearerToken: token }
}
