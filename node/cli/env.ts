// Defaults from the environment: $QUORATE_HOME for every --home, $QUORATE_RPC for every --rpc. Read when a
// command runs, not when the program is built; an empty variable counts as unset. A flag always wins.

import { resolve } from 'node:path'
import { Option } from 'commander'
import { CliError } from './errors.js'
import { parseRpcUrl } from './parse.js'

export const homeEnv = 'QUORATE_HOME'
export const rpcEnv = 'QUORATE_RPC'
export const defaultRpcUrl = 'http://127.0.0.1:26601/'

/** `--home <dir>`; the help says where the default comes from (commander's own default would show a value). */
export function homeOption(description: string): Option {
  return new Option('--home <dir>', `${description} (default: $${homeEnv}; required when it is unset)`)
}

export function rpcOption(): Option {
  return new Option('--rpc <url>', `the node's JSON-RPC URL (default: $${rpcEnv} or ${defaultRpcUrl})`)
}

/** The absolute home directory: --home, else $QUORATE_HOME. */
export function homeFrom(flag: string | undefined): string {
  const home = flag ?? envValue(homeEnv)
  if (home === undefined) throw new CliError(`--home: required (or set ${homeEnv})`)
  return resolve(home)
}

/** The JSON-RPC URL: --rpc, else $QUORATE_RPC, else http://127.0.0.1:26601/; checked either way. */
export function rpcUrlFrom(flag: string | undefined): string {
  if (flag !== undefined) return parseRpcUrl(flag, '--rpc')
  const fromEnv = envValue(rpcEnv)
  return fromEnv === undefined ? defaultRpcUrl : parseRpcUrl(fromEnv, `$${rpcEnv}`)
}

export function envValue(name: string): string | undefined {
  const value = process.env[name]
  return value === undefined || value === '' ? undefined : value
}
