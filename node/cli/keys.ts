// `quorate keys new --out FILE`: a fresh Ed25519 key pair in a key file (mode 0600); prints its address.

import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import { generateKeyPair } from '../../crypto/ed25519.js'
import { toHex } from '../../crypto/hex.js'
import { writeKeyFile } from '../../crypto/keyfile.js'
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
}
