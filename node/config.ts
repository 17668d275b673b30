// A validator's config.json: snake_case JSON on disk, camelCase NodeConfig inside. Every field has a
// default, unknown fields are refused (a typo must not silently fall back to a default), and every error
// names the field, because the person reading it is editing that file by hand.

import { join } from 'node:path'
import { fromHex, HexError, toHex } from '../crypto/hex.js'
import { FieldError, readJsonFile } from '../ledger/field-error.js'

/** A node config that is not valid; `field` names the offending field, e.g. `peers[1].node_key`. */
export class ConfigError extends FieldError {
  static override name = 'ConfigError'
  override name = 'ConfigError'
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof logLevels)[number]

export interface ListenAddress {
  readonly host: string
  /** 0 lets the OS pick a free port. */
  readonly port: number
}

export interface PeerConfig {
  /** The peer's libp2p identity public key (32 bytes): its peer id, and what genesis lists as node_key. */
  readonly nodeKey: Uint8Array
  /** A multiaddr such as /ip4/127.0.0.1/tcp/26610. */
  readonly address: string
}

export interface NodeConfig {
  /** A human-readable name for logs and status. */
  readonly moniker: string
  /** libp2p listen multiaddr. */
  readonly p2pListen: string
  /**
   * The multiaddr the other validators dial to reach this one (CometBFT's external_address), when it is not
   * the listen address: a listener on 0.0.0.0, behind NAT or a load balancer. `keys show` prints it as the
   * peer entry to hand to the other operators.
   */
  readonly p2pAnnounce?: string
  readonly rpcListen: ListenAddress
  readonly peers: readonly PeerConfig[]
  readonly logLevel: LogLevel
  /** Enables test-only admin switches (partitions, clock skew). Never on in production. */
  readonly testnetMode: boolean
  /**
   * False (default): the chain is quiescent, no blocks and no messages while no transaction waits; leaders
   * propose as soon as they hold the parent's QC and have work. True: empty blocks keep coming, paced by
   * blockIntervalMs (CometBFT's create_empty_blocks).
   */
  readonly createEmptyBlocks: boolean
  /** With createEmptyBlocks: an empty block waits this long after its parent (0: as fast as consensus goes). */
  readonly blockIntervalMs: number
  /** When set, RPC requests need `Authorization: Bearer <token>` (overridden by QUORATE_RPC_TOKEN). */
  readonly rpcBearerToken?: string
  /**
   * When set, Prometheus metrics are also served at GET /metrics on this address, without the RPC's bearer
   * token (CometBFT's prometheus_listen_addr), so scrapers need no RPC access. /metrics on the RPC port stays.
   */
  readonly metricsListen?: ListenAddress
}

export const defaultConfig: NodeConfig = {
  moniker: 'quorate',
  p2pListen: '/ip4/127.0.0.1/tcp/26600',
  rpcListen: { host: '127.0.0.1', port: 26601 },
  peers: [],
  logLevel: 'info',
  testnetMode: false,
  createEmptyBlocks: false,
  blockIntervalMs: 100,
}

export const blockIntervalMsMax = 60_000

export const configFileBytesMax = 1_048_576
export const monikerLengthMax = 64
export const configPeerCountMax = 256

/** The files of a validator home directory, as `quorate init` and the testnet write them. */
export interface HomePaths {
  readonly home: string
  readonly genesis: string
  readonly config: string
  /** libp2p identity key file. */
  readonly nodeKey: string
  /** Consensus signing key file. */
  readonly consensusKey: string
  /** LevelDB directory of the chain data: committed blocks, state, pending blocks, mempool journal, evidence. */
  readonly data: string
  /**
   * LevelDB directory of the safety state (what this validator signed): kept apart from `data`, so that corrupt
   * chain data can be moved aside and re-synced without forgetting it.
   */
  readonly safety: string
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    genesis: join(home, 'genesis.json'),
    config: join(home, 'config.json'),
    nodeKey: join(home, 'node_key.json'),
    consensusKey: join(home, 'consensus_key.json'),
    data: join(home, 'data'),
    safety: join(home, 'safety'),
  }
}

const fieldNames = [
  'moniker',
  'p2p_listen',
  'p2p_announce',
  'rpc_listen',
  'peers',
  'log_level',
  'testnet_mode',
  'create_empty_blocks',
  'block_interval_ms',
  'rpc_bearer_token',
  'metrics_listen',
] as const
const multiaddrPattern =
  /^\/(?:ip4\/\d{1,3}(?:\.\d{1,3}){3}|ip6\/[0-9a-fA-F:.]+|dns[46]?\/[A-Za-z0-9.-]+)\/tcp\/(\d{1,5})$/
const hostPortPattern = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/

export async function loadConfigFile(path: string): Promise<NodeConfig> {
  const fail = (problem: string, options?: ErrorOptions) => new ConfigError('', problem, options)
  return parseConfig(await readJsonFile(path, 'config file', configFileBytesMax, fail))
}

export function parseConfig(json: unknown): NodeConfig {
  if (!isPlainObject(json)) throw new ConfigError('', `expected a JSON object, got ${describe(json)}`)
  for (const key of Object.keys(json)) {
    if (!(fieldNames as readonly string[]).includes(key)) {
      throw new ConfigError(key, `unknown field (known fields: ${fieldNames.join(', ')})`)
    }
  }
  return {
    moniker: json.moniker === undefined ? defaultConfig.moniker : parseMoniker(json.moniker),
    p2pListen:
      json.p2p_listen === undefined ? defaultConfig.p2pListen : parseMultiaddr(json.p2p_listen, 'p2p_listen'),
    ...(json.p2p_announce === undefined
      ? {}
      : { p2pAnnounce: parseMultiaddr(json.p2p_announce, 'p2p_announce') }),
    rpcListen: json.rpc_listen === undefined ? defaultConfig.rpcListen : parseListenAddress(json.rpc_listen),
    peers: json.peers === undefined ? defaultConfig.peers : parsePeers(json.peers),
    logLevel: json.log_level === undefined ? defaultConfig.logLevel : parseLogLevel(json.log_level),
    testnetMode:
      json.testnet_mode === undefined
        ? defaultConfig.testnetMode
        : parseBoolean(json.testnet_mode, 'testnet_mode'),
    createEmptyBlocks:
      json.create_empty_blocks === undefined
        ? defaultConfig.createEmptyBlocks
        : parseBoolean(json.create_empty_blocks, 'create_empty_blocks'),
    blockIntervalMs:
      json.block_interval_ms === undefined
        ? defaultConfig.blockIntervalMs
        : parseBlockInterval(json.block_interval_ms),
    ...(json.rpc_bearer_token === undefined ? {} : { rpcBearerToken: parseToken(json.rpc_bearer_token) }),
    ...(json.metrics_listen === undefined
      ? {}
      : { metricsListen: parseListenAddress(json.metrics_listen, 'metrics_listen') }),
  }
}

/** Pretty JSON with every field written out, the inverse of `parseConfig`. */
export function formatConfig(config: NodeConfig): string {
  const json = {
    moniker: config.moniker,
    p2p_listen: config.p2pListen,
    ...(config.p2pAnnounce === undefined ? {} : { p2p_announce: config.p2pAnnounce }),
    rpc_listen: formatListenAddress(config.rpcListen),
    peers: config.peers.map((peer) => ({ node_key: toHex(peer.nodeKey), address: peer.address })),
    log_level: config.logLevel,
    testnet_mode: config.testnetMode,
    create_empty_blocks: config.createEmptyBlocks,
    block_interval_ms: config.blockIntervalMs,
    ...(config.rpcBearerToken === undefined ? {} : { rpc_bearer_token: config.rpcBearerToken }),
    ...(config.metricsListen === undefined
      ? {}
      : { metrics_listen: formatListenAddress(config.metricsListen) }),
  }
  return `${JSON.stringify(json, null, 2)}\n`
}

export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

/** Parses "host:port" (IPv6 as "[::1]:26601"), as in rpc_listen. */
export function parseListenAddress(value: unknown, field = 'rpc_listen'): ListenAddress {
  const text = expectString(value, field)
  const match = hostPortPattern.exec(text)
  const port = match === null ? Number.NaN : Number(match[3])
  if (match === null || !isPort(port)) {
    throw new ConfigError(
      field,
      `expected "host:port" with a port in 0..65535, such as "127.0.0.1:26601", got "${text}"`,
    )
  }
  return { host: match[1] ?? match[2] ?? '', port }
}

function parseMoniker(value: unknown): string {
  const moniker = expectString(value, 'moniker')
  if (moniker.length === 0 || moniker.length > monikerLengthMax || hasControlCharacter(moniker)) {
    throw new ConfigError('moniker', `must be 1..${monikerLengthMax} printable characters`)
  }
  return moniker
}

function parseMultiaddr(value: unknown, field: string): string {
  const text = expectString(value, field)
  const match = multiaddrPattern.exec(text)
  if (match === null || !isPort(Number(match[1]))) {
    throw new ConfigError(
      field,
      `expected a TCP multiaddr such as "/ip4/127.0.0.1/tcp/26600" (ip4, ip6, dns, dns4 or dns6), got "${text}"`,
    )
  }
  return text
}

function parsePeers(value: unknown): PeerConfig[] {
  if (!Array.isArray(value)) throw new ConfigError('peers', `expected an array, got ${describe(value)}`)
  if (value.length > configPeerCountMax) {
    throw new ConfigError('peers', `at most ${configPeerCountMax} peers, got ${value.length}`)
  }
  return value.map((item: unknown, index) => {
    const path = `peers[${index}]`
    if (!isPlainObject(item)) throw new ConfigError(path, `expected an object, got ${describe(item)}`)
    for (const key of Object.keys(item)) {
      if (key !== 'node_key' && key !== 'address') {
        throw new ConfigError(`${path}.${key}`, 'unknown field (known fields: node_key, address)')
      }
    }
    const keyText = expectString(item.node_key, `${path}.node_key`)
    let nodeKey: Uint8Array
    try {
      nodeKey = fromHex(keyText, 32)
    } catch (error) {
      if (!(error instanceof HexError)) throw error
      throw new ConfigError(
        `${path}.node_key`,
        `expected 64 hex characters (a 32-byte public key): ${error.message}`,
      )
    }
    return { nodeKey, address: parseMultiaddr(item.address, `${path}.address`) }
  })
}

function parseLogLevel(value: unknown): LogLevel {
  const level = expectString(value, 'log_level')
  const known = logLevels.find((candidate) => candidate === level)
  if (known === undefined)
    throw new ConfigError('log_level', `expected one of ${logLevels.join(', ')}, got "${level}"`)
  return known
}

function parseToken(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9._~+/=-]{16,256}$/.test(value)) {
    throw new ConfigError('rpc_bearer_token', 'expected 16 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -')
  }
  return value
}

function parseBlockInterval(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > blockIntervalMsMax) {
    throw new ConfigError(
      'block_interval_ms',
      `expected a whole number of milliseconds from 0 to ${blockIntervalMsMax}, got ${describe(value)}`,
    )
  }
  return value
}

function parseBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean')
    throw new ConfigError(field, `expected true or false, got ${describe(value)}`)
  return value
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

function expectString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new ConfigError(field, `expected a string, got ${describe(value)}`)
  return value
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65_535
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

/** The address other validators should dial: p2p_announce, else the listen address unless it is a wildcard. */
export function dialableAddress(config: NodeConfig): string | undefined {
  if (config.p2pAnnounce !== undefined) return config.p2pAnnounce
  return /^\/ip[46]\/(?:0\.0\.0\.0|::)\//.test(config.p2pListen) ? undefined : config.p2pListen
}
