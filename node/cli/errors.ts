// Errors the CLI reports as one line on stderr with exit code 1: the user can fix them (a bad flag, a
// missing file, an unreachable node). Anything else is a bug and is printed with its stack.

import { KeyFileError } from '../../crypto/keyfile.js'
import { GenesisError } from '../../ledger/genesis.js'
import { ConfigError } from '../config.js'
import { RpcCallError, RpcTransportError } from '../rpc/client.js'

export class CliError extends Error {
  static override name = 'CliError'
  override name = 'CliError'
}

/** Errors a validator stops with at start that tell the operator what to do (bad data, wrong keys, ...). */
const startErrorNames = new Set(['CorruptDataError', 'NodeStartError', 'StoreError', 'P2PConfigError'])

/** The message to show for an error the user can act on, or undefined for a bug. */
export function userFacingMessage(error: unknown): string | undefined {
  if (error instanceof CliError || error instanceof KeyFileError || error instanceof RpcTransportError) {
    return error.message
  }
  if (error instanceof ConfigError) return `config: ${error.message}`
  if (error instanceof GenesisError) return `genesis: ${error.message}`
  if (error instanceof RpcCallError) return `the node answered with error ${error.code}: ${error.message}`
  // Matched by name: importing the node's modules here would load libp2p and LevelDB for every command.
  if (error instanceof Error && startErrorNames.has(error.name)) return error.message
  return undefined
}
