// `quorate keys new --out FILE`: a fresh Ed25519 key pair in a key file (mode 0600); prints its address.
// `quorate keys show --key FILE | --home DIR`: the public side of a key file, or of a validator home's keys.

import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import { generateKeyPair } from '../../crypto/ed25519.js'
import { toHex } from '../../crypto/hex.js'
import { readKeyFile, writeKeyFile } from '../../crypto/keyfile.js'
import { dialableAddress, homePaths, loadConfigFile } from '../config.js'
import { envValue, homeEnv, homeFrom, homeOption } from './env.js'
import { CliError } from './errors.js'
import { printJson } from './output.js'

export interface KeysNewOptions {
  readonly out: string
  readonly force?: boolean
}

export interface KeysNewResult {
  /** The public key, lowercase hex: the account address. */
  readonly address: string
  readonly key_file: string
}

export async function keysNew(options: KeysNewOptions): Promise<KeysNewResult> {
  const keyFile = resolve(options.out)
  const keyPair = generateKeyPair()
  await mkdir(dirname(keyFile), { recursive: true })
  await writeKeyFile(keyFile, keyPair, { overwrite: options.force === true })
  return { address: toHex(keyPair.publicKey), key_file: keyFile }
}

export interface KeysShowOptions {
  /** A key file; takes precedence over $QUORATE_HOME (but not over an explicit --home: give one). */
  readonly key?: string
  readonly home?: string
}

export interface KeyFileShowResult {
  /** The public key, lowercase hex: the account address. */
  readonly address: string
  readonly key_file: string
}

export interface HomeKeysShowResult {
  readonly home: string
  /** The consensus key's public key, hex: what genesis lists as the validator's consensus_key. */
  readonly consensus_key: string
  /** The node key's public key, hex: genesis's node_key, and peers' node_key in config.json. */
  readonly node_key: string
  /** The libp2p peer id of the node key (12D3KooW…). */
  readonly peer_id: string
  /**
   * The entry the other validators add to their config.json `peers` (`quorate config add-peer`): the node key
   * and the address to dial (p2p_announce, or p2p_listen when it is not a wildcard); null without a config or
   * without a dialable address.
   */
  readonly peer: { readonly node_key: string; readonly address: string } | null
}

/** Reads the key files (checking each public key against its secret) and prints only public keys. */
export async function keysShow(options: KeysShowOptions): Promise<KeyFileShowResult | HomeKeysShowResult> {
  if (options.key !== undefined && options.home !== undefined) {
    throw new CliError('--key and --home: give one of them, not both')
  }
  if (options.key !== undefined) {
    const keyFile = resolve(options.key)
    return { address: toHex((await readKeyFile(keyFile)).publicKey), key_file: keyFile }
  }
  if (options.home === undefined && envValue(homeEnv) === undefined) {
    throw new CliError(`keys show: give --key FILE or --home DIR (or set ${homeEnv})`)
  }
  const paths = homePaths(homeFrom(options.home))
  const consensusKey = await readKeyFile(paths.consensusKey)
  const nodeKey = await readKeyFile(paths.nodeKey)
  // Imported here so that every other command does not load libp2p's key and peer-id modules.
  const { peerIdFromNodeKey } = await import('../../p2p/peer-identity.js')
  const config = existsSync(paths.config) ? await loadConfigFile(paths.config) : undefined
  const address = config === undefined ? undefined : dialableAddress(config)
  return {
    home: paths.home,
    consensus_key: toHex(consensusKey.publicKey),
    node_key: toHex(nodeKey.publicKey),
    peer_id: peerIdFromNodeKey(nodeKey.publicKey),
    peer: address === undefined ? null : { node_key: toHex(nodeKey.publicKey), address },
  }
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage Ed25519 key files')
  keys
    .command('new')
    .description(
      'write a new Ed25519 key pair to a key file (JSON, mode 0600) and print {"address", "key_file"}; ' +
        'the address is the public key in hex',
    )
    .requiredOption('--out <file>', 'where to write the key file')
    .option('--force', 'replace the file if it exists (the old key is lost)', false)
    .action(async (options: { out: string; force: boolean }) => {
      printJson(await keysNew(options))
    })
  keys
    .command('show')
    .description(
      'print the public side of keys, never a secret: with --key, {"address", "key_file"} of a key file; ' +
        'with --home, the validator\'s {"consensus_key", "node_key", "peer_id"} (public keys in hex, the ' +
        'libp2p peer id of the node key)',
    )
    .option('--key <file>', 'a key file (see `quorate keys new`)')
    .addOption(homeOption('a validator home (consensus_key.json, node_key.json)'))
    .action(async (options: KeysShowOptions) => {
      printJson(await keysShow(options))
    })
}
