// `quorate status --rpc URL`: the node's `status` answer, as JSON.

import type { Command } from 'commander'
import { rpcCall } from '../rpc/client.js'
import { printJson } from './output.js'
import { parseRpcUrl } from './parse.js'

export const defaultRpcUrl = 'http://127.0.0.1:26601/'
const statusTimeoutMs = 10_000

export async function status(options: { readonly rpc: string }): Promise<unknown> {
  return rpcCall(parseRpcUrl(options.rpc, '--rpc'), 'status', {}, { timeoutMs: statusTimeoutMs })
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("print a node's status (height, block hash, state root, view, ...) as JSON")
    .option('--rpc <url>', "the node's JSON-RPC URL", defaultRpcUrl)
    .action(async (options: { rpc: string }) => {
      printJson(await status(options))
    })
}
