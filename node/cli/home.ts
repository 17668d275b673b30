// Writes a validator home directory (the layout `quorate start --home` reads): keys, genesis, config, data/.
// Used by `quorate init` and by the testnet generator. Never replaces an existing file: a home holds keys.

import { mkdir, open } from 'node:fs/promises'
import type { KeyPair } from '../../crypto/ed25519.js'
import { writeKeyFile } from '../../crypto/keyfile.js'
import { formatGenesis, type Genesis } from '../../ledger/genesis.js'
import { formatConfig, type HomePaths, homePaths, type NodeConfig } from '../config.js'
import { CliError } from './errors.js'

export interface ValidatorHome {
  readonly config: NodeConfig
  readonly genesis: Genesis
  /** libp2p identity. */
  readonly nodeKey: KeyPair
  readonly consensusKey: KeyPair
}

export async function writeValidatorHome(home: string, contents: ValidatorHome): Promise<HomePaths> {
  const paths = homePaths(home)
  await mkdir(paths.data, { recursive: true })
  await writeKeyFile(paths.nodeKey, contents.nodeKey)
  await writeKeyFile(paths.consensusKey, contents.consensusKey)
  await writeNewTextFile(paths.genesis, formatGenesis(contents.genesis))
  await writeNewTextFile(paths.config, formatConfig(contents.config))
  return paths
}

/** Creates `path` with `text`, synced; fails if it exists. */
export async function writeNewTextFile(path: string, text: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'wx', 0o644)
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') {
      throw new CliError(`${path} already exists; not overwriting it`)
    }
    throw error
  }
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
}
