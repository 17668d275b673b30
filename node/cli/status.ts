// `quorate status --rpc URL`: the node's `status` answer, as JSON.

import type { Command } from 'commander'
import { QuorateClient } from '../client/quorate-client.js'
import { rpcOption, rpcUrlFrom } from './env.js'
import { printJson } from './output.js'
import { parseRpcUrl } from './parse.js'

const statusTimeoutMs = 10_000

export async function status(options: { readonly rpc: string }): Promise<unknown> {
  return new QuorateClient({ url: parseRpcUrl(options.rpc, '--rpc'), timeoutMs: statusTimeoutMs }).status()
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("print a node's status (height, block hash, state root, view, ...) as JSON")
    .addOption(rpcOption())
    .action(async (options: { rpc?: string }) => {
      printJson(await status({ rpc: rpcUrlFrom(options.rpc) }))
    })
}
