// `quorate init --home DIR`: a home for a single-validator chain (its own genesis), e.g. to try the node
// alone. A multi-validator network is made with `quorate testnet` (or by editing the genesis by hand).

import { resolve } from 'node:path'
import type { Command } from 'commander'
import { generateKeyPair } from '../../crypto/ed25519.js'
import { toHex } from '../../crypto/hex.js'
import { chainIdPattern, defaultConsensusParams, type GenesisAccount } from '../../ledger/genesis.js'
import { defaultConfig, parseConfig } from '../config.js'
import { homeFrom, homeOption } from './env.js'
import { CliError } from './errors.js'
import { writeValidatorHome } from './home.js'
import { printJson } from './output.js'
import { parseAddress, parseAmount } from './parse.js'

export const defaultChainId = 'quorate-local'

export interface InitOptions {
  readonly home: string
  readonly moniker?: string
  readonly chainId?: string
  /** libp2p listen multiaddr. */
  readonly p2pListen?: string
  /** The multiaddr other validators dial (p2p_announce), when not the listen address. */
  readonly p2pAnnounce?: string
  /** host:port */
  readonly rpcListen?: string
  /** ADDRESS=BALANCE entries funded in genesis. */
  readonly fund?: readonly string[]
}

export interface InitResult {
  readonly home: string
  readonly chain_id: string
  readonly consensus_key: string
  readonly node_key: string
  readonly rpc_listen: string
}

export async function init(options: InitOptions): Promise<InitResult> {
  const home = resolve(options.home)
  const chainId = options.chainId ?? defaultChainId
  if (!chainIdPattern.test(chainId)) {
    throw new CliError(`--chain-id: must match ${chainIdPattern.source}, got "${chainId}"`)
  }
  // Validated with the config file's own rules, so the flags fail exactly like a bad config.json would.
  const config = parseConfig({
    moniker: options.moniker ?? defaultConfig.moniker,
    ...(options.p2pListen === undefined ? {} : { p2p_listen: options.p2pListen }),
    ...(options.p2pAnnounce === undefined ? {} : { p2p_announce: options.p2pAnnounce }),
    ...(options.rpcListen === undefined ? {} : { rpc_listen: options.rpcListen }),
  })
  const accounts = (options.fund ?? []).map(parseFunding)
  const nodeKey = generateKeyPair()
  const consensusKey = generateKeyPair()
  await writeValidatorHome(home, {
    config,
    genesis: {
      chainId,
      genesisTimeMs: Date.now(),
      validators: [
        { index: 0, name: config.moniker, consensusKey: consensusKey.publicKey, nodeKey: nodeKey.publicKey },
      ],
      accounts,
      params: defaultConsensusParams,
    },
    nodeKey,
    consensusKey,
  })
  return {
    home,
    chain_id: chainId,
    consensus_key: toHex(consensusKey.publicKey),
    node_key: toHex(nodeKey.publicKey),
    rpc_listen: `${config.rpcListen.host}:${config.rpcListen.port}`,
  }
}

function parseFunding(entry: string): GenesisAccount {
  const [address, balance, ...rest] = entry.split('=')
  if (address === undefined || balance === undefined || rest.length > 0) {
    throw new CliError(`--fund: expected ADDRESS=BALANCE, got "${entry}"`)
  }
  return { address: parseAddress(address, '--fund'), balance: parseAmount(balance, '--fund') }
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'create a validator home directory for a single-validator chain: node and consensus key files, ' +
        'genesis.json, config.json and data/; refuses to replace existing files',
    )
    .addOption(homeOption('the home directory to create'))
    .option('--moniker <name>', 'a name for this validator', defaultConfig.moniker)
    .option('--chain-id <id>', 'the chain id written to genesis', defaultChainId)
    .option('--p2p-listen <multiaddr>', 'libp2p listen address', defaultConfig.p2pListen)
    .option(
      '--p2p-announce <multiaddr>',
      'the address the other validators dial, when not the listen address (e.g. /dns/val1.example.org/tcp/26600 ' +
        'with --p2p-listen /ip4/0.0.0.0/tcp/26600)',
    )
    .option('--rpc-listen <host:port>', 'JSON-RPC listen address', '127.0.0.1:26601')
    .option(
      '--fund <address=balance>',
      'fund an account in genesis (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .action(async (options: Omit<InitOptions, 'home'> & { home?: string }) => {
      printJson(await init({ ...options, home: homeFrom(options.home) }))
    })
}
