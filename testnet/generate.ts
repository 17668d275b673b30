// Writes (or finds) a local testnet: n validator homes sharing one genesis, and funded client accounts.
// As with CometBFT's testnet, an existing testnet is reused as it is, so stopping and starting again
// continues the same chain; `reset` wipes it first. Only entries this module creates are ever removed.

import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { generateKeyPair, type KeyPair } from '../crypto/ed25519.js'
import { toHex } from '../crypto/hex.js'
import { readKeyFile, writeKeyFile } from '../crypto/keyfile.js'
import type { CommitRule } from '../ledger/commit-rule.js'
import {
  type ConsensusParams,
  defaultConsensusParams,
  type Genesis,
  loadGenesisFile,
} from '../ledger/genesis.js'
import { CliError } from '../node/cli/errors.js'
import { writeValidatorHome } from '../node/cli/home.js'
import { defaultConfig, homePaths, loadConfigFile, type NodeConfig } from '../node/config.js'
import {
  accountBalance,
  accountKeyFile,
  accountsDir,
  defaultAccountCount,
  defaultBasePort,
  defaultValidatorCount,
  p2pPort,
  rpcPort,
  testnetAccountCountMax,
  testnetChainId,
  testnetValidatorCountMax,
  validatorHome,
  validatorLogFile,
  validatorName,
} from './layout.js'

/** A testnet that cannot be generated or started as asked; the CLI shows its message as is. */
export class TestnetError extends CliError {
  static override name = 'TestnetError'
  override name = 'TestnetError'
}

export interface GenerateTestnetOptions {
  readonly dir: string
  /** Left out: 4 for a new testnet, or whatever the testnet already in `dir` has. Likewise below. */
  readonly validators?: number
  readonly basePort?: number
  readonly accounts?: number
  /** Remove the testnet in `dir` (validator homes, accounts, testnet.json) and generate a new one. */
  readonly reset?: boolean
  /** For a new testnet: each leader's wait after the parent block (config block_interval_ms; default 100). */
  readonly blockIntervalMs?: number
  /** For a new testnet: empty blocks while idle (config create_empty_blocks; default false, quiescent). */
  readonly createEmptyBlocks?: boolean
  /** For a new testnet: the genesis commit rule (default: defaultConsensusParams, the two-chain rule). */
  readonly commitRule?: CommitRule
}

/** How a testnet's leaders pace blocks (the validators' config). */
type BlockPacing = Pick<NodeConfig, 'blockIntervalMs' | 'createEmptyBlocks'>

export interface TestnetValidator {
  readonly index: number
  readonly name: string
  /** Absolute path of the validator's home directory. */
  readonly home: string
  readonly logFile: string
  readonly p2pPort: number
  readonly rpcPort: number
  /** http://127.0.0.1:PORT/ */
  readonly rpcUrl: string
}

export interface TestnetAccount {
  /** Absolute path of the account's key file. */
  readonly keyFile: string
  /** Lowercase hex public key. */
  readonly address: string
  readonly balance: bigint
}

export interface TestnetLayout {
  /** Absolute. */
  readonly dir: string
  readonly chainId: string
  readonly basePort: number
  readonly validators: readonly TestnetValidator[]
  readonly accounts: readonly TestnetAccount[]
  /** True when an existing testnet was found and kept. */
  readonly reused: boolean
}

// Also what the fault lab writes there: twins' homes, its socket, a scenario's client history and verdict.
const ownEntryPattern =
  /^(?:validator-\d+(?:-twin)?|accounts|testnet\.json(?:\.tmp)?|lab\.sock|history\.jsonl|verdict\.json)$/

export async function generateTestnet(options: GenerateTestnetOptions): Promise<TestnetLayout> {
  checkCount(options.validators, 'validators', 1, testnetValidatorCountMax)
  checkCount(options.accounts, 'accounts', 0, testnetAccountCountMax)
  const validatorCount = options.validators ?? defaultValidatorCount
  const basePort = options.basePort ?? defaultBasePort
  checkPorts(basePort, validatorCount)
  const dir = resolve(options.dir)
  const entries = await listDir(dir)
  const ownEntries = entries.filter((entry) => ownEntryPattern.test(entry))
  if (ownEntries.length === 0 && entries.length > 0) {
    throw new TestnetError(
      `${dir} is not empty and holds no testnet; choose an empty or new directory with --dir`,
    )
  }
  if (ownEntries.length > 0 && options.reset !== true) return reuseTestnet(dir, options)
  for (const entry of ownEntries) await rm(resolve(dir, entry), { recursive: true, force: true })
  const pacing: BlockPacing = {
    blockIntervalMs: options.blockIntervalMs ?? defaultConfig.blockIntervalMs,
    createEmptyBlocks: options.createEmptyBlocks ?? defaultConfig.createEmptyBlocks,
  }
  const params = {
    ...defaultConsensusParams,
    commitRule: options.commitRule ?? defaultConsensusParams.commitRule,
  }
  return writeTestnet(dir, validatorCount, basePort, options.accounts ?? defaultAccountCount, pacing, params)
}

async function writeTestnet(
  dir: string,
  validatorCount: number,
  basePort: number,
  accountCount: number,
  pacing: BlockPacing,
  params: ConsensusParams,
): Promise<TestnetLayout> {
  const chain = await newChain({ dir, chainId: testnetChainId, validatorCount, accountCount, params })
  const validators = chain.keys.map((_, index) => testnetValidator(dir, basePort, index))
  for (const validator of validators) {
    const key = chain.keys[validator.index]!
    await writeValidatorHome(validator.home, {
      config: validatorConfig(validator, validators, chain.keys, pacing),
      genesis: chain.genesis,
      nodeKey: key.nodeKey,
      consensusKey: key.consensusKey,
    })
  }
  return {
    dir,
    chainId: chain.genesis.chainId,
    basePort,
    validators,
    accounts: chain.accounts,
    reused: false,
  }
}

/** A new chain's keys, its genesis, and its funded accounts' key files (written under `dir`/accounts). */
export interface NewChain {
  readonly keys: readonly { readonly nodeKey: KeyPair; readonly consensusKey: KeyPair }[]
  readonly genesis: Genesis
  readonly accounts: readonly TestnetAccount[]
}

export async function newChain(options: {
  readonly dir: string
  readonly chainId: string
  readonly validatorCount: number
  readonly accountCount: number
  readonly params: ConsensusParams
}): Promise<NewChain> {
  await mkdir(accountsDir(options.dir), { recursive: true })
  const accounts: TestnetAccount[] = []
  const funded: Genesis['accounts'][number][] = []
  for (let index = 0; index < options.accountCount; index++) {
    const keyPair = generateKeyPair()
    const keyFile = accountKeyFile(options.dir, index)
    await writeKeyFile(keyFile, keyPair)
    accounts.push({ keyFile, address: toHex(keyPair.publicKey), balance: accountBalance })
    funded.push({ address: keyPair.publicKey, balance: accountBalance })
  }
  const keys = Array.from({ length: options.validatorCount }, () => ({
    nodeKey: generateKeyPair(),
    consensusKey: generateKeyPair(),
  }))
  const genesis: Genesis = {
    chainId: options.chainId,
    genesisTimeMs: Date.now(),
    validators: keys.map((key, index) => ({
      index,
      name: validatorName(index),
      consensusKey: key.consensusKey.publicKey,
      nodeKey: key.nodeKey.publicKey,
    })),
    accounts: funded,
    params: options.params,
  }
  return { keys, genesis, accounts }
}

function validatorConfig(
  validator: TestnetValidator,
  validators: readonly TestnetValidator[],
  keys: readonly { readonly nodeKey: KeyPair }[],
  pacing: BlockPacing,
): NodeConfig {
  return {
    moniker: validator.name,
    p2pListen: `/ip4/127.0.0.1/tcp/${validator.p2pPort}`,
    rpcListen: { host: '127.0.0.1', port: validator.rpcPort },
    peers: validators
      .filter((peer) => peer.index !== validator.index)
      .map((peer) => ({
        nodeKey: keys[peer.index]!.nodeKey.publicKey,
        address: `/ip4/127.0.0.1/tcp/${peer.p2pPort}`,
      })),
    logLevel: 'info',
    testnetMode: true,
    ...pacing,
  }
}

function testnetValidator(dir: string, basePort: number, index: number): TestnetValidator {
  const port = rpcPort(basePort, index)
  return {
    index,
    name: validatorName(index),
    home: validatorHome(dir, index),
    logFile: validatorLogFile(dir, index),
    p2pPort: p2pPort(basePort, index),
    rpcPort: port,
    rpcUrl: `http://127.0.0.1:${port}/`,
  }
}

async function reuseTestnet(dir: string, options: GenerateTestnetOptions): Promise<TestnetLayout> {
  const incomplete = (what: string): TestnetError =>
    new TestnetError(`${dir} holds an incomplete testnet (${what}); pass --reset to generate a new one`)
  const first = homePaths(validatorHome(dir, 0))
  if (!(await exists(first.genesis))) throw incomplete(`${first.genesis} is missing`)
  const genesis = await loadGenesisFile(first.genesis)
  const config = await loadConfigFile(first.config).catch(() => {
    throw incomplete(`${first.config} is missing or invalid`)
  })
  const basePort = config.rpcListen.port - 1
  const validators = genesis.validators.map((_, index) => testnetValidator(dir, basePort, index))
  for (const validator of validators) {
    const paths = homePaths(validator.home)
    for (const file of [paths.genesis, paths.config, paths.nodeKey, paths.consensusKey]) {
      if (!(await exists(file))) throw incomplete(`${file} is missing`)
    }
  }
  const accounts: TestnetAccount[] = []
  for (let index = 0; await exists(accountKeyFile(dir, index)); index++) {
    const keyFile = accountKeyFile(dir, index)
    const address = toHex((await readKeyFile(keyFile)).publicKey)
    const funded = genesis.accounts.find((account) => toHex(account.address) === address)
    if (funded === undefined) throw incomplete(`${keyFile} is not an account in genesis`)
    accounts.push({ keyFile, address, balance: funded.balance })
  }
  const mismatch = (what: string, found: number | string, asked: number | string): TestnetError =>
    new TestnetError(
      `${dir} holds a testnet with ${what} ${found}, not ${asked}; pass --reset to replace it, ` +
        'or choose another directory with --dir',
    )
  if (options.validators !== undefined && options.validators !== validators.length) {
    throw mismatch('validator count', validators.length, options.validators)
  }
  if (options.basePort !== undefined && options.basePort !== basePort) {
    throw mismatch('base port', basePort, options.basePort)
  }
  if (options.accounts !== undefined && options.accounts !== accounts.length) {
    throw mismatch('account count', accounts.length, options.accounts)
  }
  if (options.commitRule !== undefined && options.commitRule !== genesis.params.commitRule) {
    throw mismatch('commit rule', genesis.params.commitRule, options.commitRule)
  }
  return { dir, chainId: genesis.chainId, basePort, validators, accounts, reused: true }
}

function checkCount(value: number | undefined, name: string, min: number, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min || value > max)) {
    throw new TestnetError(`${name}: expected a whole number in ${min}..${max}, got ${value}`)
  }
}

function checkPorts(basePort: number, validatorCount: number): void {
  const highest = rpcPort(basePort, validatorCount - 1)
  if (!Number.isSafeInteger(basePort) || basePort < 1024 || highest > 65_535) {
    throw new TestnetError(
      `base port ${basePort}: validators use ports ${basePort}..${highest}, which must lie in 1024..65535`,
    )
  }
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return []
    if (error instanceof Error && 'code' in error && error.code === 'ENOTDIR') {
      throw new TestnetError(`${dir} is a file, not a directory`)
    }
    throw error
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
