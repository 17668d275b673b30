// The genesis file: JSON, snake_case, validated field by field. Every error names the field path, because the
// person reading it is editing that file by hand.

import { toHex } from '../crypto/hex.js'
import { registerPublicKey } from '../crypto/index.js'
import { AccountsApp, amountMax } from './app/index.js'
import { asCommitRule, type CommitRule, commitRules } from './commit-rule.js'
import { FieldError, readJsonFile } from './field-error.js'
import { blockHash, txRoot } from './hashing.js'
import * as limits from './limits.js'
import type { Block, QuorumCertificate } from './types.js'

/** A genesis file that is not valid; `field` names the offending field. */
export class GenesisError extends FieldError {
  static override name = 'GenesisError'
  override name = 'GenesisError'
}

export interface GenesisValidator {
  /** Position in the validator set: leader(v) = validators[v mod n]. */
  readonly index: number
  readonly name: string
  readonly consensusKey: Uint8Array
  /** The libp2p identity key. */
  readonly nodeKey: Uint8Array
}

export interface GenesisAccount {
  readonly address: Uint8Array
  readonly balance: bigint
}

export interface ConsensusParams {
  readonly viewTimeoutBaseMs: number
  readonly viewTimeoutMaxMs: number
  readonly blockTxCountMax: number
  readonly maxClockDriftMs: number
  readonly commitRule: CommitRule
}

export interface Genesis {
  readonly chainId: string
  readonly genesisTimeMs: number
  readonly validators: readonly GenesisValidator[]
  readonly accounts: readonly GenesisAccount[]
  readonly params: ConsensusParams
}

export const chainIdPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/
/** Names appear in logs, metric labels and directory names: keep them plain. */
export const validatorNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
export const genesisAccountCountMax = 100_000
export const genesisFileBytesMax = 64 * 1_048_576

export const defaultConsensusParams: ConsensusParams = {
  viewTimeoutBaseMs: limits.viewTimeoutBaseMs,
  viewTimeoutMaxMs: limits.viewTimeoutMaxMs,
  blockTxCountMax: limits.blockTxCountMax,
  maxClockDriftMs: limits.maxClockDriftMs,
  commitRule: 'two-chain',
}

/**
 * The commit rule of a genesis file without `commit_rule`: the three-chain rule, the only one before the field
 * existed, so a chain started then keeps its rule (and its state roots). New genesis files write the field.
 */
const commitRuleWhenAbsent: CommitRule = 'three-chain'

/** Sane ranges, inclusive. The view timeout cap is also checked against the base (max >= base). */
const paramRanges: Record<
  Exclude<keyof ConsensusParams, 'commitRule'>,
  { readonly json: string; readonly min: number; readonly max: number }
> = {
  viewTimeoutBaseMs: { json: 'view_timeout_base_ms', min: 10, max: 600_000 },
  viewTimeoutMaxMs: { json: 'view_timeout_max_ms', min: 10, max: 3_600_000 },
  blockTxCountMax: { json: 'block_tx_count_max', min: 1, max: limits.blockTxCountMax },
  maxClockDriftMs: { json: 'max_clock_drift_ms', min: 1, max: 3_600_000 },
}

const zeroHash = new Uint8Array(32)
const hex32Pattern = /^[0-9a-f]{64}$/
const u64DecimalPattern = /^(?:0|[1-9][0-9]{0,19})$/

export { faultTolerance, quorumSize } from './quorum.js'

export async function loadGenesisFile(path: string): Promise<Genesis> {
  const fail = (problem: string, options?: ErrorOptions) => new GenesisError('', problem, options)
  return parseGenesis(await readJsonFile(path, 'genesis file', genesisFileBytesMax, fail))
}

export function parseGenesis(json: unknown): Genesis {
  const root = expectObject(json, '', [
    'chain_id',
    'genesis_time_ms',
    'validators',
    'accounts',
    'consensus_params',
  ])
  const chainId = expectString(root.chain_id, 'chain_id')
  if (!chainIdPattern.test(chainId)) {
    throw new GenesisError(
      'chain_id',
      `must match ${chainIdPattern.source} (lowercase letters, digits, . _ -)`,
    )
  }
  const genesisTimeMs = expectInteger(root.genesis_time_ms, 'genesis_time_ms', 0, Number.MAX_SAFE_INTEGER)
  return {
    chainId,
    genesisTimeMs,
    validators: parseValidators(root.validators),
    accounts: parseAccounts(root.accounts),
    params: parseParams(root.consensus_params),
  }
}

/** Pretty JSON, the inverse of `parseGenesis` (parameters are always written out). */
export function formatGenesis(genesis: Genesis): string {
  const json = {
    chain_id: genesis.chainId,
    genesis_time_ms: genesis.genesisTimeMs,
    validators: genesis.validators.map((validator) => ({
      name: validator.name,
      consensus_key: toHex(validator.consensusKey),
      node_key: toHex(validator.nodeKey),
    })),
    accounts: genesis.accounts.map((account) => ({
      address: toHex(account.address),
      balance: account.balance.toString(),
    })),
    consensus_params: {
      view_timeout_base_ms: genesis.params.viewTimeoutBaseMs,
      view_timeout_max_ms: genesis.params.viewTimeoutMaxMs,
      block_tx_count_max: genesis.params.blockTxCountMax,
      max_clock_drift_ms: genesis.params.maxClockDriftMs,
      commit_rule: genesis.params.commitRule,
    },
  }
  return `${JSON.stringify(json, null, 2)}\n`
}

/** The state the chain starts from, as the application sees it. */
export function genesisApp(genesis: Genesis): AccountsApp {
  return AccountsApp.fromAccounts(
    genesis.accounts.map(({ address, balance }) => ({ address, account: { balance, nonce: 0 } })),
  )
}

/** Height 0: no txs, justified by an empty QC for the zero hash; its state root is the genesis allocation's. */
export function genesisBlock(genesis: Genesis): Block {
  const justify: QuorumCertificate = { view: 0, blockHash: zeroHash.slice(), signers: [], signatures: [] }
  return {
    header: {
      height: 0,
      view: 0,
      parentHash: zeroHash.slice(),
      justify,
      proposer: 0,
      timestampMs: genesis.genesisTimeMs,
      txRoot: txRoot([]),
      stateRoot: genesisApp(genesis).stateRoot(),
    },
    txs: [],
  }
}

/** The certificate of the genesis block, taken as given (no signatures): it is the justify of height 1. */
export function genesisQC(genesis: Genesis): QuorumCertificate {
  return { view: 0, blockHash: blockHash(genesisBlock(genesis).header), signers: [], signatures: [] }
}

function parseValidators(value: unknown): GenesisValidator[] {
  const list = expectArray(value, 'validators', 1, limits.validatorCountMax)
  const names = new Map<string, number>()
  const keys = new Map<string, string>()
  return list.map((item, index) => {
    const path = `validators[${index}]`
    const object = expectObject(item, path, ['name', 'consensus_key', 'node_key'])
    const name = expectString(object.name, `${path}.name`)
    if (!validatorNamePattern.test(name)) {
      throw new GenesisError(`${path}.name`, `must match ${validatorNamePattern.source}`)
    }
    const sameName = names.get(name)
    if (sameName !== undefined)
      throw new GenesisError(`${path}.name`, `duplicates validators[${sameName}].name`)
    names.set(name, index)
    const consensusKey = expectPublicKey(object.consensus_key, `${path}.consensus_key`)
    const nodeKey = expectPublicKey(object.node_key, `${path}.node_key`)
    // One namespace for both kinds: every key in the set is distinct, including a validator's own two keys,
    // so the libp2p identity and the consensus signer never share a secret.
    for (const [key, field] of [
      [consensusKey, `${path}.consensus_key`],
      [nodeKey, `${path}.node_key`],
    ] as const) {
      const hex = toHex(key)
      const earlier = keys.get(hex)
      if (earlier !== undefined) throw new GenesisError(field, `duplicates ${earlier}`)
      keys.set(hex, field)
    }
    return { index, name, consensusKey, nodeKey }
  })
}

function parseAccounts(value: unknown): GenesisAccount[] {
  const list = expectArray(value, 'accounts', 0, genesisAccountCountMax)
  const seen = new Map<string, number>()
  let total = 0n
  const accounts = list.map((item, index) => {
    const path = `accounts[${index}]`
    const object = expectObject(item, path, ['address', 'balance'])
    const address = expectPublicKey(object.address, `${path}.address`)
    const hex = toHex(address)
    const earlier = seen.get(hex)
    if (earlier !== undefined)
      throw new GenesisError(`${path}.address`, `duplicates accounts[${earlier}].address`)
    seen.set(hex, index)
    const balanceText = expectString(object.balance, `${path}.balance`)
    const balance = u64DecimalPattern.test(balanceText) ? BigInt(balanceText) : -1n
    if (balance < 0n || balance > amountMax) {
      throw new GenesisError(
        `${path}.balance`,
        `must be a decimal string in 0..${amountMax}, got "${balanceText}"`,
      )
    }
    total += balance
    return { address, balance }
  })
  // Transfers conserve the total, so a total within u64 keeps every balance within u64 forever.
  if (total > amountMax) throw new GenesisError('accounts', `total balance ${total} exceeds ${amountMax}`)
  return accounts
}

function parseParams(value: unknown): ConsensusParams {
  if (value === undefined) return { ...defaultConsensusParams, commitRule: commitRuleWhenAbsent }
  const object = expectObject(value, 'consensus_params', [
    ...Object.values(paramRanges).map((range) => range.json),
    'commit_rule',
  ])
  const param = (name: keyof typeof paramRanges): number => {
    const { json, min, max } = paramRanges[name]
    const raw = object[json]
    return raw === undefined
      ? defaultConsensusParams[name]
      : expectInteger(raw, `consensus_params.${json}`, min, max)
  }
  const params: ConsensusParams = {
    viewTimeoutBaseMs: param('viewTimeoutBaseMs'),
    viewTimeoutMaxMs: param('viewTimeoutMaxMs'),
    blockTxCountMax: param('blockTxCountMax'),
    maxClockDriftMs: param('maxClockDriftMs'),
    commitRule: parseCommitRule(object.commit_rule),
  }
  if (params.viewTimeoutMaxMs < params.viewTimeoutBaseMs) {
    throw new GenesisError(
      'consensus_params.view_timeout_max_ms',
      `must be >= view_timeout_base_ms (${params.viewTimeoutBaseMs})`,
    )
  }
  return params
}

function parseCommitRule(value: unknown): CommitRule {
  if (value === undefined) return commitRuleWhenAbsent
  const rule = asCommitRule(value)
  if (rule === undefined) {
    throw new GenesisError(
      'consensus_params.commit_rule',
      `must be one of ${commitRules.map((each) => `"${each}"`).join(', ')}, got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`,
    )
  }
  return rule
}

function expectObject(value: unknown, path: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GenesisError(path, `expected an object, got ${describe(value)}`)
  }
  const object = value as Record<string, unknown>
  for (const key of Object.keys(object)) {
    if (!fields.includes(key)) throw new GenesisError(join(path, key), 'unknown field')
  }
  return object
}

function expectArray(value: unknown, path: string, lengthMin: number, lengthMax: number): unknown[] {
  if (!Array.isArray(value)) throw new GenesisError(path, `expected an array, got ${describe(value)}`)
  if (value.length < lengthMin || value.length > lengthMax) {
    throw new GenesisError(path, `expected ${lengthMin}..${lengthMax} entries, got ${value.length}`)
  }
  return value
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new GenesisError(path, `expected a string, got ${describe(value)}`)
  return value
}

function expectInteger(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new GenesisError(path, `expected an integer, got ${describe(value)}`)
  }
  if (value < min || value > max) throw new GenesisError(path, `must be in ${min}..${max}, got ${value}`)
  return value
}

function expectPublicKey(value: unknown, path: string): Uint8Array {
  const text = expectString(value, path)
  if (!hex32Pattern.test(text))
    throw new GenesisError(path, 'expected 64 lowercase hex characters (32 bytes)')
  const key = new Uint8Array(Buffer.from(text, 'hex'))
  try {
    registerPublicKey(key)
  } catch (error) {
    const reason = messageOf(error).replace(/^invalid Ed25519 public key:\s*/, '')
    throw new GenesisError(path, `not a valid Ed25519 public key (${reason})`, { cause: error })
  }
  return key
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
