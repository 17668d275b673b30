// `quorate genesis add-validator|add-account` and `quorate config add-peer`: the genesis ceremony of a network
// whose validators make their own keys on their own hosts (docs/deployment.md). Each edit is checked with the
// same rules `quorate start` reads the file with, and replaces the file atomically; a home whose data directory
// was already used refuses a genesis change (its stores belong to the old chain).

import { readdir, rename, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { toHex } from '../../crypto/hex.js'
import { formatGenesis, type Genesis, loadGenesisFile, parseGenesis } from '../../ledger/genesis.js'
import { formatConfig, homePaths, loadConfigFile, parseConfig } from '../config.js'
import { homeFrom, homeOption } from './env.js'
import { CliError } from './errors.js'
import { printJson } from './output.js'
import { parseAddress, parseAmount } from './parse.js'

async function replaceFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`
  await writeFile(temporary, text, { mode: 0o644 })
  await rename(temporary, path)
}

async function assertUnused(home: string): Promise<void> {
  const { data, safety } = homePaths(home)
  for (const dir of [data, safety]) {
    const entries = await readdir(dir).catch(() => [])
    if (entries.length > 0) {
      throw new CliError(`${dir} is not empty: this home already ran a chain, so its genesis cannot change`)
    }
  }
}

/** Rewrites the home's genesis.json with `change` applied, checked as `start` would read it. */
async function editGenesis(home: string, change: (genesis: Genesis) => Genesis): Promise<Genesis> {
  await assertUnused(home)
  const path = homePaths(home).genesis
  const text = formatGenesis(change(await loadGenesisFile(path)))
  const checked = parseGenesis(JSON.parse(text))
  await replaceFile(path, text)
  return checked
}

export async function addValidator(options: {
  readonly home: string
  readonly name: string
  readonly consensusKey: string
  readonly nodeKey: string
}): Promise<Genesis> {
  const consensusKey = parseAddress(options.consensusKey, '--consensus-key')
  const nodeKey = parseAddress(options.nodeKey, '--node-key')
  return editGenesis(options.home, (genesis) => ({
    ...genesis,
    validators: [
      ...genesis.validators,
      { index: genesis.validators.length, name: options.name, consensusKey, nodeKey },
    ],
  }))
}

export async function addAccount(options: {
  readonly home: string
  readonly address: string
  readonly balance: string
}): Promise<Genesis> {
  const address = parseAddress(options.address, '--address')
  const balance = parseAmount(options.balance, '--balance')
  return editGenesis(options.home, (genesis) => {
    if (genesis.accounts.some((account) => toHex(account.address) === toHex(address)))
      throw new CliError(`--address: ${toHex(address)} is already funded in genesis`)
    return { ...genesis, accounts: [...genesis.accounts, { address, balance }] }
  })
}

export async function addPeer(options: {
  readonly home: string
  readonly nodeKey: string
  readonly address: string
}) {
  const path = homePaths(options.home).config
  const config = await loadConfigFile(path)
  const nodeKey = parseAddress(options.nodeKey, '--node-key')
  if (config.peers.some((peer) => toHex(peer.nodeKey) === toHex(nodeKey)))
    throw new CliError(`--node-key: ${toHex(nodeKey)} is already a peer in ${path}`)
  const text = formatConfig({ ...config, peers: [...config.peers, { nodeKey, address: options.address }] })
  // Checked with config.json's own rules, so a bad address is refused exactly as `start` would refuse it.
  const checked = parseConfig(JSON.parse(text))
  await replaceFile(path, text)
  return checked
}

function summary(genesis: Genesis) {
  return {
    chain_id: genesis.chainId,
    validators: genesis.validators.map((validator) => validator.name),
    accounts: genesis.accounts.length,
  }
}

export function registerGenesis(program: Command, config: Command): void {
  const genesis = program
    .command('genesis')
    .description('edit the genesis.json of a home (a genesis ceremony)')
  genesis
    .command('add-validator')
    .description("append a validator (its `quorate keys show --home` keys) to the home's genesis.json")
    .addOption(homeOption("the coordinator's home"))
    .requiredOption('--name <name>', 'the validator name')
    .requiredOption('--consensus-key <hex>', 'its consensus public key')
    .requiredOption('--node-key <hex>', 'its node (libp2p) public key')
    .action(async (options: { home?: string; name: string; consensusKey: string; nodeKey: string }) => {
      printJson(summary(await addValidator({ ...options, home: homeFrom(options.home) })))
    })
  genesis
    .command('add-account')
    .description("fund an account in the home's genesis.json")
    .addOption(homeOption("the coordinator's home"))
    .requiredOption('--address <hex>', 'the account address (public key, hex)')
    .requiredOption('--balance <n>', 'its balance')
    .action(async (options: { home?: string; address: string; balance: string }) => {
      printJson(summary(await addAccount({ ...options, home: homeFrom(options.home) })))
    })
  config
    .command('add-peer')
    .description("add a validator to the peers the home's config.json dials")
    .addOption(homeOption('the validator home'))
    .requiredOption('--node-key <hex>', "the peer's node (libp2p) public key, as genesis lists it")
    .requiredOption('--address <multiaddr>', 'where it listens, e.g. /dns/val1.example.org/tcp/26600')
    .action(async (options: { home?: string; nodeKey: string; address: string }) => {
      const checked = await addPeer({ ...options, home: homeFrom(options.home) })
      printJson({
        peers: checked.peers.map((peer) => ({ node_key: toHex(peer.nodeKey), address: peer.address })),
      })
    })
}
