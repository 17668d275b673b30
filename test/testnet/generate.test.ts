import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { readKeyFile } from '../../crypto/keyfile.js'
import { loadGenesisFile, parseGenesis } from '../../ledger/genesis.js'
import { homePaths, loadConfigFile } from '../../node/config.js'
import { generateTestnet, TestnetError } from '../../testnet/generate.js'

let root: string
let dir: string

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'quorate-generate-'))
  dir = join(root, 'net')
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('generateTestnet', () => {
  it('writes n validator homes that share one genesis which parseGenesis accepts', async () => {
    const layout = await generateTestnet({ dir, validators: 4, accounts: 3, basePort: 30_000 })
    expect(layout.reused).toBe(false)
    expect(layout.dir).toBe(dir)
    expect(layout.chainId).toBe('quorate-testnet')
    const texts = await Promise.all(layout.validators.map((v) => readFile(homePaths(v.home).genesis, 'utf8')))
    expect(new Set(texts).size).toBe(1)
    const genesis = parseGenesis(JSON.parse(texts[0]!))
    expect(genesis.chainId).toBe('quorate-testnet')
    expect(genesis.validators.map((v) => v.name)).toEqual([
      'validator-0',
      'validator-1',
      'validator-2',
      'validator-3',
    ])
  })

  it('gives each home its own keys, matching its genesis entry, in 0600 files', async () => {
    const layout = await generateTestnet({ dir, validators: 4, accounts: 0, basePort: 30_000 })
    const genesis = await loadGenesisFile(homePaths(layout.validators[0]!.home).genesis)
    for (const validator of layout.validators) {
      const paths = homePaths(validator.home)
      const entry = genesis.validators[validator.index]!
      expect((await readKeyFile(paths.nodeKey)).publicKey).toEqual(entry.nodeKey)
      expect((await readKeyFile(paths.consensusKey)).publicKey).toEqual(entry.consensusKey)
      expect((await stat(paths.consensusKey)).mode & 0o777).toBe(0o600)
      expect((await stat(paths.data)).isDirectory()).toBe(true)
    }
  })

  it('configures ports base+10i and base+10i+1 on 127.0.0.1, every other validator as a peer, testnet mode', async () => {
    const layout = await generateTestnet({ dir, validators: 3, accounts: 0, basePort: 31_000 })
    const genesis = await loadGenesisFile(homePaths(layout.validators[0]!.home).genesis)
    for (const validator of layout.validators) {
      const config = await loadConfigFile(homePaths(validator.home).config)
      expect(config.moniker).toBe(`validator-${validator.index}`)
      expect(config.p2pListen).toBe(`/ip4/127.0.0.1/tcp/${31_000 + 10 * validator.index}`)
      expect(config.rpcListen).toEqual({ host: '127.0.0.1', port: 31_000 + 10 * validator.index + 1 })
      expect(validator.rpcUrl).toBe(`http://127.0.0.1:${31_000 + 10 * validator.index + 1}/`)
      expect(config.testnetMode).toBe(true)
      const others = genesis.validators.filter((other) => other.index !== validator.index)
      expect(config.peers).toEqual(
        others.map((other) => ({
          nodeKey: other.nodeKey,
          address: `/ip4/127.0.0.1/tcp/${31_000 + 10 * other.index}`,
        })),
      )
    }
  })

  it('funds each account in genesis with 1000000000 and writes its key file', async () => {
    const layout = await generateTestnet({ dir, validators: 1, accounts: 3, basePort: 30_000 })
    const genesis = await loadGenesisFile(homePaths(layout.validators[0]!.home).genesis)
    expect(layout.accounts).toHaveLength(3)
    expect(genesis.accounts.map((account) => toHex(account.address))).toEqual(
      layout.accounts.map((a) => a.address),
    )
    for (const [index, account] of layout.accounts.entries()) {
      expect(account.keyFile).toBe(join(dir, 'accounts', `account-${index}.json`))
      expect(isAbsolute(account.keyFile)).toBe(true)
      expect(toHex((await readKeyFile(account.keyFile)).publicKey)).toBe(account.address)
      expect(account.balance).toBe(1_000_000_000n)
      expect(genesis.accounts[index]?.balance).toBe(1_000_000_000n)
    }
  })

  it('uses 4 validators, 4 accounts and base port 26600 by default', async () => {
    const layout = await generateTestnet({ dir })
    expect(layout.validators).toHaveLength(4)
    expect(layout.accounts).toHaveLength(4)
    expect(layout.basePort).toBe(26_600)
  })

  it('reuses an existing testnet as it is (same keys, same genesis)', async () => {
    const first = await generateTestnet({ dir, validators: 2, accounts: 2, basePort: 30_000 })
    const genesisBefore = await readFile(homePaths(first.validators[0]!.home).genesis, 'utf8')
    const again = await generateTestnet({ dir })
    expect(again.reused).toBe(true)
    expect(again.basePort).toBe(30_000)
    expect(again.validators).toEqual(first.validators)
    expect(again.accounts).toEqual(first.accounts)
    expect(await readFile(homePaths(first.validators[0]!.home).genesis, 'utf8')).toBe(genesisBefore)
    expect((await generateTestnet({ dir, validators: 2, accounts: 2, basePort: 30_000 })).reused).toBe(true)
  })

  it.each([
    [{ validators: 3 }, /validator count 2, not 3; pass --reset/],
    [{ basePort: 40_000 }, /base port 30000, not 40000/],
    [{ accounts: 5 }, /account count 2, not 5/],
    [{ commitRule: 'three-chain' as const }, /commit rule two-chain, not three-chain/],
  ])('refuses to reuse a testnet that differs from explicit options %o', async (options, message) => {
    await generateTestnet({ dir, validators: 2, accounts: 2, basePort: 30_000 })
    await expect(generateTestnet({ dir, ...options })).rejects.toThrow(message)
  })

  it('writes the commit rule it is given into the genesis (two-chain by default)', async () => {
    const twoChain = await generateTestnet({ dir, validators: 1, accounts: 0, basePort: 30_000 })
    const genesisOf = async (layout: typeof twoChain) =>
      loadGenesisFile(homePaths(layout.validators[0]!.home).genesis)
    expect((await genesisOf(twoChain)).params.commitRule).toBe('two-chain')
    const threeChain = await generateTestnet({
      dir,
      validators: 1,
      accounts: 0,
      basePort: 30_000,
      reset: true,
      commitRule: 'three-chain',
    })
    expect((await genesisOf(threeChain)).params.commitRule).toBe('three-chain')
  })

  it('wipes and regenerates with reset, leaving files it did not create alone', async () => {
    const first = await generateTestnet({ dir, validators: 2, accounts: 1, basePort: 30_000 })
    await writeFile(join(dir, 'notes.txt'), 'mine')
    const second = await generateTestnet({ dir, validators: 3, accounts: 1, basePort: 30_000, reset: true })
    expect(second.reused).toBe(false)
    expect(second.validators).toHaveLength(3)
    expect(second.accounts[0]?.address).not.toBe(first.accounts[0]?.address)
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine')
  })

  it('refuses a non-empty directory that holds no testnet, even with reset, and deletes nothing', async () => {
    await mkdir(dir)
    await writeFile(join(dir, 'important.txt'), 'keep me')
    await expect(generateTestnet({ dir })).rejects.toThrow(/is not empty and holds no testnet/)
    await expect(generateTestnet({ dir, reset: true })).rejects.toThrow(TestnetError)
    expect(await readdir(dir)).toEqual(['important.txt'])
  })

  it('refuses an incomplete testnet, suggesting --reset', async () => {
    const layout = await generateTestnet({ dir, validators: 2, accounts: 0, basePort: 30_000 })
    await rm(homePaths(layout.validators[1]!.home).consensusKey)
    await expect(generateTestnet({ dir })).rejects.toThrow(
      /incomplete testnet .*consensus_key\.json is missing.*--reset/,
    )
  })

  it.each([
    [{ validators: 0 }, /validators: expected a whole number in 1\.\.64/],
    [{ validators: 65 }, /validators/],
    [{ accounts: -1 }, /accounts/],
    [{ basePort: 80 }, /must lie in 1024\.\.65535/],
    [{ basePort: 65_530, validators: 2 }, /must lie in 1024\.\.65535/],
  ])('refuses out-of-range options %o', async (options, message) => {
    await expect(generateTestnet({ dir, ...options })).rejects.toThrow(message)
  })
})
