// Every validator home of a network whose validators live on separate hosts (`quorate testnet --hostnames
// h1,h2,…`): one genesis, one home per host, each listening on all interfaces and dialing the others by
// hostname (or IP), testnet mode off. Nothing is started: copy validator-i/ to host i and run `quorate start`
// there (docs/operations.md, "Separate hosts").

import { writeFile } from 'node:fs/promises'
import { isIPv4, isIPv6 } from 'node:net'
import { resolve } from 'node:path'
import type { KeyPair } from '../crypto/ed25519.js'
import { type ConsensusParams, defaultConsensusParams } from '../ledger/genesis.js'
import { writeValidatorHome } from '../node/cli/home.js'
import { defaultConfig, type NodeConfig } from '../node/config.js'
import { listDir, newChain, type TestnetAccount, TestnetError } from './generate.js'
import { validatorHome, validatorName } from './layout.js'

export const defaultHostP2pPort = 26600
export const defaultHostRpcPort = 26601
export const hostCountMax = 64
const hostnamePattern =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

export interface HostHomesOptions {
  readonly dir: string
  /** One per validator: a DNS name, an IPv4 or an IPv6 address, as the other validators reach it. */
  readonly hostnames: readonly string[]
  readonly chainId: string
  readonly accounts: number
  readonly p2pPort?: number
  readonly rpcPort?: number
  /** Where the RPC listens on each host (default 127.0.0.1: reachable only from that host). */
  readonly rpcHost?: string
  readonly params?: ConsensusParams
}

export interface HostValidator {
  readonly index: number
  readonly hostname: string
  /** Absolute path of the home to copy to that host. */
  readonly home: string
  /** The multiaddr the other validators dial. */
  readonly p2pAddress: string
}

export interface HostNetwork {
  readonly dir: string
  readonly chainId: string
  readonly validators: readonly HostValidator[]
  readonly accounts: readonly TestnetAccount[]
}

/** The multiaddr of `hostname`'s p2p port: /ip4/…, /ip6/… or /dns/…. */
export function hostMultiaddr(hostname: string, port: number): string {
  if (isIPv4(hostname)) return `/ip4/${hostname}/tcp/${port}`
  if (isIPv6(hostname)) return `/ip6/${hostname}/tcp/${port}`
  if (!hostnamePattern.test(hostname))
    throw new TestnetError(`--hostnames: ${JSON.stringify(hostname)} is not a hostname or IP address`)
  return `/dns/${hostname}/tcp/${port}`
}

export async function writeHostHomes(options: HostHomesOptions): Promise<HostNetwork> {
  const { hostnames } = options
  if (hostnames.length === 0 || hostnames.length > hostCountMax) {
    throw new TestnetError(`--hostnames: between 1 and ${hostCountMax} hosts, got ${hostnames.length}`)
  }
  const duplicate = hostnames.find((hostname, index) => hostnames.indexOf(hostname) !== index)
  if (duplicate !== undefined) throw new TestnetError(`--hostnames: ${duplicate} is listed twice`)
  const p2pPort = options.p2pPort ?? defaultHostP2pPort
  const rpcPort = options.rpcPort ?? defaultHostRpcPort
  const addresses = hostnames.map((hostname) => hostMultiaddr(hostname, p2pPort))
  const dir = resolve(options.dir)
  if ((await listDir(dir)).length > 0)
    throw new TestnetError(`${dir} is not empty; choose an empty or new directory with --dir`)
  const chain = await newChain({
    dir,
    chainId: options.chainId,
    validatorCount: hostnames.length,
    accountCount: options.accounts,
    params: options.params ?? defaultConsensusParams,
  })
  const validators = hostnames.map((hostname, index) => ({
    index,
    hostname,
    home: validatorHome(dir, index),
    p2pAddress: addresses[index]!,
  }))
  for (const validator of validators) {
    const key = chain.keys[validator.index]!
    await writeValidatorHome(validator.home, {
      config: hostConfig(validator, validators, chain.keys, {
        p2pPort,
        rpcPort,
        rpcHost: options.rpcHost ?? '127.0.0.1',
      }),
      genesis: chain.genesis,
      nodeKey: key.nodeKey,
      consensusKey: key.consensusKey,
    })
  }
  const network: HostNetwork = { dir, chainId: chain.genesis.chainId, validators, accounts: chain.accounts }
  await writeFile(resolve(dir, 'network.json'), `${JSON.stringify(networkJson(network), null, 2)}\n`)
  return network
}

function hostConfig(
  validator: HostValidator,
  validators: readonly HostValidator[],
  keys: readonly { readonly nodeKey: KeyPair }[],
  ports: { readonly p2pPort: number; readonly rpcPort: number; readonly rpcHost: string },
): NodeConfig {
  return {
    ...defaultConfig,
    moniker: validatorName(validator.index),
    p2pListen: isIPv6(validator.hostname)
      ? `/ip6/::/tcp/${ports.p2pPort}`
      : `/ip4/0.0.0.0/tcp/${ports.p2pPort}`,
    p2pAnnounce: validator.p2pAddress,
    rpcListen: { host: ports.rpcHost, port: ports.rpcPort },
    peers: validators
      .filter((peer) => peer.index !== validator.index)
      .map((peer) => ({ nodeKey: keys[peer.index]!.nodeKey.publicKey, address: peer.p2pAddress })),
    testnetMode: false,
  }
}

/** network.json: which home goes to which host, and the funded accounts. */
export function networkJson(network: HostNetwork) {
  return {
    chain_id: network.chainId,
    validators: network.validators.map((validator) => ({
      index: validator.index,
      hostname: validator.hostname,
      home: validator.home,
      p2p_address: validator.p2pAddress,
    })),
    accounts: network.accounts.map((account) => ({
      address: account.address,
      key_file: account.keyFile,
      balance: account.balance.toString(),
    })),
  }
}

export function hostsOf(hostnames: string): string[] {
  return hostnames
    .split(',')
    .map((hostname) => hostname.trim())
    .filter((hostname) => hostname.length > 0)
}
