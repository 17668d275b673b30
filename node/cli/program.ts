// The `quorate` command line: one commander program, one file per command.

import { Command } from 'commander'
import { rpcTokenEnv } from '../rpc/client.js'
import { packageVersion } from '../version.js'
import { registerCheck } from './check.js'
import { registerConfig } from './config-validate.js'
import { defaultRpcUrl, homeEnv, rpcEnv } from './env.js'
import { exitCodes } from './errors.js'
import { registerGenesis } from './genesis.js'
import { registerInit } from './init.js'
import { registerKeys } from './keys.js'
import { registerQueries } from './query.js'
import { registerScenario } from './scenario.js'
import { registerStart } from './start.js'
import { registerStatus } from './status.js'
import { registerTestnet } from './testnet.js'
import { registerTx } from './tx.js'

export const helpEpilog = `
Environment:
  ${homeEnv}       the default of every --home
  ${rpcEnv}        the default of every --rpc (else ${defaultRpcUrl})
  ${rpcTokenEnv}  the bearer token sent with every JSON-RPC request

Exit codes:
  ${exitCodes.ok}  success (also --help and --version)
  ${exitCodes.failure}  any other failure: a bug, a validator that stopped on an error, or
     the node answered with a JSON-RPC error
  ${exitCodes.badInput}  a bad argument or input file: an unknown command or flag, a bad
     value, a bad config.json, genesis.json or key file
  ${exitCodes.unreachable}  the node is unreachable or did not answer in time
  ${exitCodes.txRejected}  tx transfer: the node rejected the transaction (a non-zero code);
     testnet ctl: the lab refused the command now (e.g. resume of a validator
     that is not paused)`

export function buildProgram(): Command {
  const program = new Command('quorate')
    .description('Quorate: a Byzantine-fault-tolerant consensus node (chained HotStuff over libp2p)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    // Commander errors are thrown (as CommanderError) instead of exiting, so main.ts gives them exit code 2.
    // Set before the commands are added: each subcommand copies it when it is created.
    .exitOverride()
    .addHelpText('after', helpEpilog)
  registerInit(program)
  registerKeys(program)
  registerGenesis(program, registerConfig(program))
  registerStart(program)
  registerTx(program)
  registerQueries(program)
  registerStatus(program)
  registerTestnet(program)
  registerScenario(program)
  registerCheck(program)
  return program
}
