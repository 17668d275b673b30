// Read-only queries over JSON-RPC, each printing the node's answer as JSON (fields in docs/rpc.md):
// `quorate block [height]`, `quorate account <address>`, `quorate validators`, and `quorate tx <hash>` (the
// `tx show` command, registered with the rest of the tx group in tx.ts).

import type { Command } from 'commander'
import { toHex } from '../../crypto/hex.js'
import { QuorateClient } from '../client/quorate-client.js'
import { rpcOption, rpcUrlFrom } from './env.js'
import { printJson } from './output.js'
import { parseAddress, parseHash, parseInteger, parseRpcUrl } from './parse.js'

const queryTimeoutMs = 10_000

/** The committed block at `height`, or the latest when it is left out. */
export async function queryBlock(rpc: string, height?: string): Promise<unknown> {
  const params =
    height === undefined ? {} : { height: parseInteger(height, '<height>', 0, Number.MAX_SAFE_INTEGER) }
  return query(rpc, 'block', params)
}

/** A committed transaction: its height, index and receipt. */
export async function queryTx(rpc: string, hash: string): Promise<unknown> {
  return query(rpc, 'tx', { hash: parseHash(hash, '<hash>') })
}

/** An account's balance, committed nonce and next nonce (pending transactions included). */
export async function queryAccount(rpc: string, address: string): Promise<unknown> {
  return query(rpc, 'account', { address: toHex(parseAddress(address, '<address>')) })
}

export async function queryValidators(rpc: string): Promise<unknown> {
  return query(rpc, 'validators', {})
}

async function query(rpc: string, method: string, params: Record<string, unknown>): Promise<unknown> {
  return new QuorateClient({ url: parseRpcUrl(rpc, '--rpc'), timeoutMs: queryTimeoutMs }).call(method, params)
}

export function registerQueries(program: Command): void {
  program
    .command('block')
    .argument('[height]', 'a committed height (default: the latest)')
    .description('print a committed block (the `block` RPC method) as JSON')
    .addOption(rpcOption())
    .action(async (height: string | undefined, options: { rpc?: string }) => {
      printJson(await queryBlock(rpcUrlFrom(options.rpc), height))
    })
  program
    .command('account')
    .argument('<address>', 'the account address: 64 hex characters (a public key)')
    .description("print an account's balance and nonces (the `account` RPC method) as JSON")
    .addOption(rpcOption())
    .action(async (address: string, options: { rpc?: string }) => {
      printJson(await queryAccount(rpcUrlFrom(options.rpc), address))
    })
  program
    .command('validators')
    .description('print the validator set (the `validators` RPC method) as JSON')
    .addOption(rpcOption())
    .action(async (options: { rpc?: string }) => {
      printJson(await queryValidators(rpcUrlFrom(options.rpc)))
    })
}
