import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ConfigError,
  configFileBytesMax,
  defaultConfig,
  formatConfig,
  homePaths,
  loadConfigFile,
  type NodeConfig,
  parseConfig,
} from '../../node/config.js'

const peerKey = 'ab'.repeat(32)
const fullConfig = {
  moniker: 'validator-1',
  p2p_listen: '/ip4/127.0.0.1/tcp/26610',
  rpc_listen: '127.0.0.1:26611',
  peers: [{ node_key: peerKey, address: '/ip4/127.0.0.1/tcp/26600' }],
  log_level: 'debug',
  testnet_mode: true,
  create_empty_blocks: true,
  block_interval_ms: 250,
}

function configError(json: unknown): ConfigError {
  try {
    parseConfig(json)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('parseConfig', () => {
  it('reads every field, snake_case to camelCase', () => {
    const config = parseConfig(fullConfig)
    expect(config).toEqual({
      moniker: 'validator-1',
      p2pListen: '/ip4/127.0.0.1/tcp/26610',
      rpcListen: { host: '127.0.0.1', port: 26611 },
      peers: [{ nodeKey: new Uint8Array(32).fill(0xab), address: '/ip4/127.0.0.1/tcp/26600' }],
      logLevel: 'debug',
      testnetMode: true,
      createEmptyBlocks: true,
      blockIntervalMs: 250,
    })
  })

  it('fills every missing field with its default', () => {
    expect(parseConfig({})).toEqual(defaultConfig)
    expect(defaultConfig.rpcListen.host).toBe('127.0.0.1')
    expect(defaultConfig.testnetMode).toBe(false)
  })

  it('accepts IPv6 and port 0 in rpc_listen', () => {
    expect(parseConfig({ rpc_listen: '[::1]:0' }).rpcListen).toEqual({ host: '::1', port: 0 })
  })

  it('reads metrics_listen (absent by default) and writes it back', () => {
    expect(parseConfig({}).metricsListen).toBeUndefined()
    const config = parseConfig({ metrics_listen: '0.0.0.0:26660' })
    expect(config.metricsListen).toEqual({ host: '0.0.0.0', port: 26660 })
    expect(JSON.parse(formatConfig(config)).metrics_listen).toBe('0.0.0.0:26660')
  })

  it('round-trips through formatConfig', () => {
    const config = parseConfig(fullConfig)
    expect(parseConfig(JSON.parse(formatConfig(config)))).toEqual(config)
    expect(JSON.parse(formatConfig(config))).toEqual(fullConfig)
  })

  it('round-trips any valid config through formatConfig', () => {
    const configs: fc.Arbitrary<NodeConfig> = fc.record(
      {
        moniker: fc
          .string({ minLength: 1, maxLength: 64 })
          .filter((text) => [...text].every((char) => char >= ' ' && char !== '\x7f')),
        p2pListen: fc.integer({ min: 0, max: 65_535 }).map((port) => `/ip4/127.0.0.1/tcp/${port}`),
        blockIntervalMs: fc.integer({ min: 0, max: 60_000 }),
        createEmptyBlocks: fc.boolean(),
        rpcListen: fc.record({
          host: fc.constantFrom('127.0.0.1', '0.0.0.0', 'localhost', '::1'),
          port: fc.integer({ min: 0, max: 65_535 }),
        }),
        peers: fc.array(
          fc.record({
            nodeKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
            address: fc.integer({ min: 0, max: 65_535 }).map((port) => `/dns4/node.example/tcp/${port}`),
          }),
          { maxLength: 5 },
        ),
        logLevel: fc.constantFrom('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
        testnetMode: fc.boolean(),
        p2pAnnounce: fc.integer({ min: 1, max: 65_535 }).map((port) => `/dns/val.example.org/tcp/${port}`),
      },
      {
        requiredKeys: [
          'moniker',
          'p2pListen',
          'blockIntervalMs',
          'createEmptyBlocks',
          'rpcListen',
          'peers',
          'logLevel',
          'testnetMode',
        ],
      },
    )
    fc.assert(
      fc.property(configs, (config) => {
        expect(parseConfig(JSON.parse(formatConfig(config)))).toEqual(config)
      }),
    )
  })

  it.each([
    ['not an object', [], ''],
    ['an unknown field (a typo)', { rpc_lisen: '127.0.0.1:1' }, 'rpc_lisen'],
    ['a non-string moniker', { moniker: 5 }, 'moniker'],
    ['an empty moniker', { moniker: '' }, 'moniker'],
    ['a moniker with a newline', { moniker: 'a\nb' }, 'moniker'],
    ['a p2p_listen that is not a TCP multiaddr', { p2p_listen: '127.0.0.1:26600' }, 'p2p_listen'],
    ['a p2p_listen port out of range', { p2p_listen: '/ip4/127.0.0.1/tcp/70000' }, 'p2p_listen'],
    [
      'a p2p_announce that is not a TCP multiaddr',
      { p2p_announce: 'val1.example.org:26600' },
      'p2p_announce',
    ],
    ['an rpc_listen without a port', { rpc_listen: '127.0.0.1' }, 'rpc_listen'],
    ['an rpc_listen port out of range', { rpc_listen: '127.0.0.1:65536' }, 'rpc_listen'],
    ['a metrics_listen without a port', { metrics_listen: '127.0.0.1' }, 'metrics_listen'],
    ['peers that are not an array', { peers: {} }, 'peers'],
    ['a peer that is not an object', { peers: ['x'] }, 'peers[0]'],
    [
      'a peer with a short node_key',
      { peers: [{ node_key: 'abcd', address: '/ip4/1.2.3.4/tcp/1' }] },
      'peers[0].node_key',
    ],
    ['a peer with a bad address', { peers: [{ node_key: peerKey, address: 'x' }] }, 'peers[0].address'],
    [
      'a peer with an unknown field',
      { peers: [{ node_key: peerKey, address: '/ip4/1.2.3.4/tcp/1', id: 1 }] },
      'peers[0].id',
    ],
    ['an unknown log_level', { log_level: 'verbose' }, 'log_level'],
    ['a testnet_mode that is a string', { testnet_mode: 'yes' }, 'testnet_mode'],
    ['a create_empty_blocks that is a number', { create_empty_blocks: 1 }, 'create_empty_blocks'],
  ])('refuses %s, naming the field', (_name, json, field) => {
    const error = configError(json)
    expect(error.field).toBe(field)
    if (field !== '') expect(error.message.startsWith(`${field}: `)).toBe(true)
  })

  it('says what a valid value looks like', () => {
    expect(configError({ rpc_listen: 'nope' }).message).toContain('"127.0.0.1:26601"')
    expect(configError({ log_level: 'loud' }).message).toContain('info')
  })
})

describe('loadConfigFile', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('loads a config file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-config-'))
    const path = join(dir, 'config.json')
    await writeFile(path, JSON.stringify(fullConfig))
    expect((await loadConfigFile(path)).moniker).toBe('validator-1')
  })

  it('names the file when it is missing or not JSON', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-config-'))
    const path = join(dir, 'config.json')
    await expect(loadConfigFile(path)).rejects.toThrow(new RegExp(`cannot read config file ${path}`))
    await writeFile(path, '{ "moniker": ')
    await expect(loadConfigFile(path)).rejects.toThrow(/is not valid JSON/)
    await writeFile(path, ' '.repeat(configFileBytesMax + 1))
    const tooLarge = loadConfigFile(path)
    await expect(tooLarge).rejects.toThrow(ConfigError)
    await expect(tooLarge).rejects.toThrow(`config file ${path} is larger than ${configFileBytesMax} bytes`)
  })
})

describe('homePaths', () => {
  it('lays out a validator home', () => {
    expect(homePaths('/h')).toEqual({
      home: '/h',
      genesis: '/h/genesis.json',
      config: '/h/config.json',
      nodeKey: '/h/node_key.json',
      consensusKey: '/h/consensus_key.json',
      data: '/h/data',
      safety: '/h/safety',
    })
  })
})
