import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { keyPairFromSecret } from '../../crypto/index.js'
import { merkleRoot } from '../../crypto/merkle.js'
import { accountLeaf } from '../../ledger/app/index.js'
import {
  defaultConsensusParams,
  faultTolerance,
  formatGenesis,
  GenesisError,
  genesisBlock,
  genesisQC,
  loadGenesisFile,
  parseGenesis,
  quorumSize,
} from '../../ledger/genesis.js'
import { blockHash, txRoot } from '../../ledger/hashing.js'
import * as limits from '../../ledger/limits.js'

function publicKeyHex(seedByte: number): string {
  return toHex(keyPairFromSecret(new Uint8Array(32).fill(seedByte)).publicKey)
}

/** The identity point: canonical, but of order 1, so the rule rejects it. */
const smallOrderKeyHex = `01${'00'.repeat(31)}`

type Json = Record<string, unknown>

function validJson(): Json {
  return {
    chain_id: 'quorate-test.1',
    genesis_time_ms: 1_764_000_000_000,
    validators: [0, 1, 2, 3].map((index) => ({
      name: `validator-${index}`,
      consensus_key: publicKeyHex(10 + index),
      node_key: publicKeyHex(20 + index),
    })),
    accounts: [
      { address: publicKeyHex(30), balance: '1000000' },
      { address: publicKeyHex(31), balance: '18446744073708551615' },
    ],
    consensus_params: {
      view_timeout_base_ms: 500,
      view_timeout_max_ms: 10_000,
      block_tx_count_max: 1_000,
      max_clock_drift_ms: 2_000,
      commit_rule: 'two-chain',
    },
  }
}

/** The object at `path` inside a genesis JSON value (for tests that edit one field). */
function at(json: Json, ...path: Array<string | number>): Json {
  let value: unknown = json
  for (const step of path) value = (value as Record<string | number, unknown>)[step]
  if (typeof value !== 'object' || value === null) throw new Error(`no object at ${path.join('.')}`)
  return value as Json
}

/** A deep copy of the valid file with one change applied. */
function mutated(change: (json: Json) => void): Json {
  const json = structuredClone(validJson())
  change(json)
  return json
}

function genesisErrorOf(json: unknown): GenesisError {
  try {
    parseGenesis(json)
  } catch (error) {
    if (error instanceof GenesisError) return error
    throw error
  }
  throw new Error('parseGenesis accepted an invalid genesis')
}

describe('parseGenesis', () => {
  it('parses a valid file into typed values', () => {
    const genesis = parseGenesis(validJson())
    expect(genesis.chainId).toBe('quorate-test.1')
    expect(genesis.genesisTimeMs).toBe(1_764_000_000_000)
    expect(genesis.validators.map((validator) => validator.index)).toEqual([0, 1, 2, 3])
    expect(toHex(genesis.validators[2]?.consensusKey ?? new Uint8Array())).toBe(publicKeyHex(12))
    expect(genesis.accounts[1]?.balance).toBe(18_446_744_073_708_551_615n)
    expect(genesis.params).toEqual({
      viewTimeoutBaseMs: 500,
      viewTimeoutMaxMs: 10_000,
      blockTxCountMax: 1_000,
      maxClockDriftMs: 2_000,
      commitRule: 'two-chain',
    })
  })

  it('round-trips: formatGenesis is the inverse of parseGenesis', () => {
    const genesis = parseGenesis(validJson())
    const text = formatGenesis(genesis)
    expect(JSON.parse(text)).toEqual(validJson())
    expect(parseGenesis(JSON.parse(text))).toEqual(genesis)
    expect(formatGenesis(parseGenesis(JSON.parse(text)))).toBe(text)
  })

  it('takes the consensus parameters from ledger/limits.ts when they are omitted, wholly or in part', () => {
    const withoutParams = mutated((json) => {
      delete json.consensus_params
    })
    expect(parseGenesis(withoutParams).params).toEqual({
      viewTimeoutBaseMs: limits.viewTimeoutBaseMs,
      viewTimeoutMaxMs: limits.viewTimeoutMaxMs,
      blockTxCountMax: limits.blockTxCountMax,
      maxClockDriftMs: limits.maxClockDriftMs,
      // A genesis file from before the field keeps the rule it was started with.
      commitRule: 'three-chain',
    })
    const partial = mutated((json) => {
      json.consensus_params = { block_tx_count_max: 7 }
    })
    expect(parseGenesis(partial).params).toEqual({
      ...defaultConsensusParams,
      blockTxCountMax: 7,
      commitRule: 'three-chain',
    })
  })

  it('writes the two-chain rule into new genesis files, and reads either rule back', () => {
    expect(defaultConsensusParams.commitRule).toBe('two-chain')
    for (const rule of ['two-chain', 'three-chain']) {
      const json = mutated((each) => (at(each, 'consensus_params').commit_rule = rule))
      expect(parseGenesis(json).params.commitRule).toBe(rule)
    }
  })

  it('accepts a genesis with no accounts', () => {
    expect(parseGenesis(mutated((json) => (json.accounts = []))).accounts).toEqual([])
  })

  // Each case: one invalid field, and the field path its error must name.
  const invalidCases: Array<[string, (json: Json) => void, string]> = [
    ['an unknown top-level field', (json) => (json.chain = 'x'), 'chain: unknown field'],
    ['a chain id with upper case', (json) => (json.chain_id = 'Quorate'), 'chain_id: must match'],
    ['a chain id too long', (json) => (json.chain_id = 'a'.repeat(65)), 'chain_id: must match'],
    ['a missing chain id', (json) => delete json.chain_id, 'chain_id: expected a string, got undefined'],
    ['a negative genesis time', (json) => (json.genesis_time_ms = -1), 'genesis_time_ms: must be in'],
    [
      'a fractional genesis time',
      (json) => (json.genesis_time_ms = 1.5),
      'genesis_time_ms: expected an integer',
    ],
    ['no validators', (json) => (json.validators = []), 'validators: expected 1..256 entries, got 0'],
    [
      'too many validators',
      (json) => (json.validators = new Array(limits.validatorCountMax + 1).fill(at(json, 'validators', 0))),
      'validators: expected 1..256 entries, got 257',
    ],
    ['validators not an array', (json) => (json.validators = {}), 'validators: expected an array'],
    [
      'a validator that is not an object',
      (json) => (at(json, 'validators')[1] = 'v1'),
      'validators[1]: expected an object',
    ],
    [
      'an unknown validator field',
      (json) => (at(json, 'validators', 2).power = 1),
      'validators[2].power: unknown field',
    ],
    [
      'an empty validator name',
      (json) => (at(json, 'validators', 1).name = ''),
      'validators[1].name: must match',
    ],
    [
      'a duplicate validator name',
      (json) => (at(json, 'validators', 3).name = 'validator-0'),
      'validators[3].name: duplicates validators[0].name',
    ],
    [
      'a consensus key that is not hex',
      (json) => (at(json, 'validators', 1).consensus_key = 'zz'.repeat(32)),
      'validators[1].consensus_key: expected 64 lowercase hex characters',
    ],
    [
      'a consensus key of 31 bytes',
      (json) => (at(json, 'validators', 1).consensus_key = 'ab'.repeat(31)),
      'validators[1].consensus_key: expected 64 lowercase hex characters',
    ],
    [
      'a small-order consensus key',
      (json) => (at(json, 'validators', 2).consensus_key = smallOrderKeyHex),
      'validators[2].consensus_key: not a valid Ed25519 public key (',
    ],
    [
      'a small-order node key',
      (json) => (at(json, 'validators', 0).node_key = smallOrderKeyHex),
      'validators[0].node_key: not a valid Ed25519 public key (',
    ],
    [
      'a duplicate consensus key',
      (json) => (at(json, 'validators', 3).consensus_key = at(json, 'validators', 1).consensus_key),
      'validators[3].consensus_key: duplicates validators[1].consensus_key',
    ],
    [
      'a duplicate node key',
      (json) => (at(json, 'validators', 2).node_key = at(json, 'validators', 0).node_key),
      'validators[2].node_key: duplicates validators[0].node_key',
    ],
    [
      "a node key equal to another validator's consensus key",
      (json) => (at(json, 'validators', 2).node_key = at(json, 'validators', 1).consensus_key),
      'validators[2].node_key: duplicates validators[1].consensus_key',
    ],
    [
      "a validator's node key equal to its own consensus key",
      (json) => (at(json, 'validators', 1).node_key = at(json, 'validators', 1).consensus_key),
      'validators[1].node_key: duplicates validators[1].consensus_key',
    ],
    ['accounts not an array', (json) => (json.accounts = null), 'accounts: expected an array, got null'],
    [
      'an invalid account address',
      (json) => (at(json, 'accounts', 1).address = smallOrderKeyHex),
      'accounts[1].address: not a valid Ed25519 public key',
    ],
    [
      'a duplicate account',
      (json) => (at(json, 'accounts', 1).address = at(json, 'accounts', 0).address),
      'accounts[1].address: duplicates accounts[0].address',
    ],
    [
      'a balance as a number',
      (json) => (at(json, 'accounts', 0).balance = 5),
      'accounts[0].balance: expected a string',
    ],
    [
      'a negative balance',
      (json) => (at(json, 'accounts', 0).balance = '-1'),
      'accounts[0].balance: must be a decimal',
    ],
    [
      'a balance with a leading zero',
      (json) => (at(json, 'accounts', 0).balance = '01'),
      'accounts[0].balance: must be',
    ],
    [
      'a fractional balance',
      (json) => (at(json, 'accounts', 0).balance = '1.5'),
      'accounts[0].balance: must be',
    ],
    [
      'a balance of 2^64',
      (json) => (at(json, 'accounts', 0).balance = '18446744073709551616'),
      'accounts[0].balance: must be',
    ],
    [
      'a total balance above 2^64-1',
      (json) => (at(json, 'accounts', 0).balance = '1000001'),
      'accounts: total balance',
    ],
    [
      'an unknown account field',
      (json) => (at(json, 'accounts', 0).nonce = 1),
      'accounts[0].nonce: unknown field',
    ],
    [
      'consensus params not an object',
      (json) => (json.consensus_params = []),
      'consensus_params: expected an object, got an array',
    ],
    [
      'an unknown consensus param',
      (json) => (at(json, 'consensus_params').view_timeout_ms = 5),
      'consensus_params.view_timeout_ms: unknown field',
    ],
    [
      'a zero view timeout base',
      (json) => (at(json, 'consensus_params').view_timeout_base_ms = 0),
      'consensus_params.view_timeout_base_ms: must be in',
    ],
    [
      'a view timeout cap below the base',
      (json) => (at(json, 'consensus_params').view_timeout_max_ms = 400),
      'consensus_params.view_timeout_max_ms: must be >= view_timeout_base_ms (500)',
    ],
    [
      'a block tx count above the codec limit',
      (json) => (at(json, 'consensus_params').block_tx_count_max = limits.blockTxCountMax + 1),
      'consensus_params.block_tx_count_max: must be in 1..',
    ],
    [
      'a clock drift given as a string',
      (json) => (at(json, 'consensus_params').max_clock_drift_ms = '5000'),
      'consensus_params.max_clock_drift_ms: expected an integer, got string',
    ],
    [
      'an unknown commit rule',
      (json) => (at(json, 'consensus_params').commit_rule = 'one-chain'),
      'consensus_params.commit_rule: must be one of "two-chain", "three-chain", got "one-chain"',
    ],
  ]

  it.each(invalidCases)('rejects %s with a GenesisError naming the field', (_case, change, expected) => {
    const error = genesisErrorOf(mutated(change))
    expect(error.message).toContain(expected)
    expect(error.message.startsWith(`${error.field}: `)).toBe(true)
    expect(expected.startsWith(`${error.field}: `)).toBe(true)
  })

  it('rejects a file that is not an object', () => {
    expect(genesisErrorOf([validJson()]).message).toBe('expected an object, got an array')
  })
})

describe('loadGenesisFile', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-genesis-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('loads what formatGenesis wrote', async () => {
    const genesis = parseGenesis(validJson())
    const path = join(dir, 'genesis.json')
    await writeFile(path, formatGenesis(genesis))
    expect(await loadGenesisFile(path)).toEqual(genesis)
  })

  it('reports a file that is not JSON, and a missing file, as GenesisError', async () => {
    const path = join(dir, 'broken.json')
    await writeFile(path, '{ "chain_id": ')
    await expect(loadGenesisFile(path)).rejects.toThrow(/is not valid JSON/)
    await expect(loadGenesisFile(join(dir, 'missing.json'))).rejects.toBeInstanceOf(GenesisError)
  })

  it('reports an invalid field with its path', async () => {
    const path = join(dir, 'invalid.json')
    await writeFile(
      path,
      JSON.stringify(mutated((json) => (at(json, 'validators', 1).node_key = smallOrderKeyHex))),
    )
    await expect(loadGenesisFile(path)).rejects.toThrow(
      /^validators\[1\]\.node_key: not a valid Ed25519 public key/,
    )
  })
})

describe('genesis block and QC', () => {
  const genesis = parseGenesis(validJson())

  it('the genesis block is height 0, view 0, empty, on a zero parent, with the allocation as its state', () => {
    const block = genesisBlock(genesis)
    expect(block.txs).toEqual([])
    expect(block.header).toEqual({
      height: 0,
      view: 0,
      parentHash: new Uint8Array(32),
      justify: { view: 0, blockHash: new Uint8Array(32), signers: [], signatures: [] },
      proposer: 0,
      timestampMs: genesis.genesisTimeMs,
      txRoot: txRoot([]),
      stateRoot: merkleRoot(
        [...genesis.accounts]
          .sort((a, b) => toHex(a.address).localeCompare(toHex(b.address)))
          .map(({ address, balance }) => accountLeaf(address, { balance, nonce: 0 })),
      ),
    })
  })

  it('the genesis QC certifies the genesis block and is deterministic', () => {
    expect(genesisQC(genesis)).toEqual({
      view: 0,
      blockHash: blockHash(genesisBlock(genesis).header),
      signers: [],
      signatures: [],
    })
    expect(genesisQC(parseGenesis(validJson()))).toEqual(genesisQC(genesis))
  })

  it('a different allocation gives a different genesis hash', () => {
    const other = parseGenesis(mutated((json) => (at(json, 'accounts', 0).balance = '999999')))
    expect(genesisQC(other).blockHash).not.toEqual(genesisQC(genesis).blockHash)
  })
})

describe('quorum arithmetic', () => {
  it('matches f = ⌊(n−1)/3⌋ and quorum = ⌊2n/3⌋+1 on small n', () => {
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    expect(sizes.map(faultTolerance)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3])
    expect(sizes.map(quorumSize)).toEqual([1, 2, 3, 3, 4, 5, 5, 6, 7, 7])
  })

  it('any two quorums share at least f+1 validators, and n−f validators can form a quorum, for every n', () => {
    for (let n = 1; n <= limits.validatorCountMax; n++) {
      const q = quorumSize(n)
      const f = faultTolerance(n)
      expect(2 * q - n).toBeGreaterThanOrEqual(f + 1)
      expect(n - f).toBeGreaterThanOrEqual(q)
    }
  })
})
