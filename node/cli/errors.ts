// What the CLI does with an error: the one line it prints on stderr, and the exit code that tells scripts a
// typo (2) from a node that is down (3), a transfer the node refused (4), and anything else (1). An error not
// listed here is a bug and is printed with its stack.

import { CommanderError } from 'commander'
import { KeyFileError } from '../../crypto/keyfile.js'
import { GenesisError } from '../../ledger/genesis.js'
import { ConfigError } from '../config.js'
import { RpcCallError, RpcTransportError } from '../rpc/client.js'

export const exitCodes = {
  ok: 0,
  /** A bug, a validator that stopped on an error, or the node answered with a JSON-RPC error. */
  failure: 1,
  /**
   * A bad argument or input file: commander usage errors, CliError, ConfigError, GenesisError, KeyFileError,
   * and `start` refusing keys that are not genesis's (NodeStartError).
   */
  badInput: 2,
  /** No JSON-RPC answer: the node is unreachable or did not answer in time (RpcTransportError). */
  unreachable: 3,
  /** `tx transfer`: the node answered with a non-zero code; `testnet ctl`: the lab refused the command. */
  txRejected: 4,
} as const
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes]

/** A bad argument or input the user can fix (exit code 2). */
export class CliError extends Error {
  static override name = 'CliError'
  override name = 'CliError'
}

/** The node answered, but not with something the CLI can read (exit code 1). */
export class UnexpectedAnswerError extends Error {
  static override name = 'UnexpectedAnswerError'
  override name = 'UnexpectedAnswerError'
}

/** The node refused a transaction with a non-zero code (exit code 4); the answer itself was printed. */
export class TxRejectedError extends Error {
  static override name = 'TxRejectedError'
  override name = 'TxRejectedError'
  readonly code: number

  constructor(code: number, log: string) {
    super(`transfer rejected (code ${code}): ${log}`)
    this.code = code
  }
}

/**
 * A `--wait` transfer was sent but its commit was not seen; `cause` is why (exit code 3 when the node stopped
 * answering, 1 when it answered with an error).
 */
export class CommitNotSeenError extends Error {
  static override name = 'CommitNotSeenError'
  override name = 'CommitNotSeenError'
}

/** Errors a validator stops with at start that tell the operator what to do (corrupt data, ...). */
const startErrorNames = new Set(['CorruptDataError', 'StoreError', 'P2PConfigError'])
/**
 * `start` refusing its input: keys that are not a validator of genesis, --byzantine outside testnet mode
 * (NodeStartError), or a --byzantine name no fixture has.
 */
const badInputErrorNames = new Set(['NodeStartError', 'UnknownByzantineNameError'])
/** `testnet ctl`: the fault lab refused a command in the testnet's current state (exit code 4). */
const refusedErrorNames = new Set(['LabRefusedError'])

/** The message to show for an error the user can act on, or undefined for a bug. */
export function userFacingMessage(error: unknown): string | undefined {
  if (
    error instanceof CliError ||
    error instanceof KeyFileError ||
    error instanceof RpcTransportError ||
    error instanceof UnexpectedAnswerError ||
    error instanceof TxRejectedError ||
    error instanceof CommitNotSeenError
  ) {
    return error.message
  }
  if (error instanceof ConfigError) return `config: ${error.message}`
  if (error instanceof GenesisError) return `genesis: ${error.message}`
  if (error instanceof RpcCallError) return `the node answered with error ${error.code}: ${error.message}`
  // Matched by name: importing the node's modules here would load libp2p and LevelDB for every command.
  if (
    error instanceof Error &&
    (startErrorNames.has(error.name) ||
      badInputErrorNames.has(error.name) ||
      refusedErrorNames.has(error.name))
  ) {
    return error.message
  }
  return undefined
}

/** The process exit code for an error that ended a command (exitCodes). */
export function exitCodeOf(error: unknown): ExitCode {
  // Commander ends --help and --version with exit code 0 too; everything else it reports is a usage error.
  if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.badInput
  if (error instanceof TxRejectedError || (error instanceof Error && refusedErrorNames.has(error.name))) {
    return exitCodes.txRejected
  }
  if (error instanceof RpcTransportError) return exitCodes.unreachable
  if (error instanceof CommitNotSeenError) {
    return error.cause instanceof RpcTransportError ? exitCodes.unreachable : exitCodes.failure
  }
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof GenesisError ||
    error instanceof KeyFileError ||
    (error instanceof Error && badInputErrorNames.has(error.name))
  ) {
    return exitCodes.badInput
  }
  return exitCodes.failure
}
