// `quorate tx transfer`: sign a transfer with a key file and submit it over JSON-RPC.
// Without --nonce the node's view of the next nonce is used (`account`.next_nonce: the committed nonce plus
// that node's pending transactions from the sender), so transfers sent back to back, even through different
// validators, get consecutive nonces. `quorate tx <hash>` (`tx show`, the group's default) looks one up.

import type { Command } from 'commander'
import { toHex } from '../../crypto/hex.js'
import { readKeyFile } from '../../crypto/keyfile.js'
import { isValidChainId } from '../../ledger/codec/index.js'
import { rpcCommitWaitMs } from '../../ledger/limits.js'
import { QuorateClient } from '../client/quorate-client.js'
import { buildTransfer, txHashHex, txToHex } from '../client/transfer.js'
import { RpcCallError, RpcTransportError } from '../rpc/client.js'
import { rpcOption, rpcUrlFrom } from './env.js'
import { CommitNotSeenError, TxRejectedError, UnexpectedAnswerError } from './errors.js'
import { printJson } from './output.js'
import { parseAddress, parseAmount, parseInteger, parseRpcUrl } from './parse.js'
import { queryTx } from './query.js'

export interface TransferOptions {
  readonly rpc: string
  /** Path of the sender's key file. */
  readonly from: string
  /** Recipient address (hex). */
  readonly to: string
  /** Decimal amount. */
  readonly amount: string
  /** Decimal nonce; asked from the node when left out. */
  readonly nonce?: string
  /** Wait until the transfer is committed (broadcast_tx_commit). */
  readonly wait?: boolean
  /** Only sign: print the signed transaction's hex (for curl) instead of sending it. */
  readonly signOnly?: boolean
}

export interface TransferResult {
  readonly hash: string
  /** 0 when accepted (and, with --wait, executed successfully). */
  readonly code: number
  readonly log: string
  /** With --wait: the height of the block that committed it. */
  readonly height?: number
  /** `tx sign`: the signed transaction, hex, as the `tx` parameter of broadcast_tx_*. */
  readonly tx?: string
  readonly from: string
  readonly to: string
  readonly amount: string
  readonly nonce: number
}

const nonceMax = Number.MAX_SAFE_INTEGER
const queryTimeoutMs = 10_000

export async function transfer(options: TransferOptions): Promise<TransferResult> {
  const rpc = parseRpcUrl(options.rpc, '--rpc')
  const to = parseAddress(options.to, '--to')
  const amount = parseAmount(options.amount, '--amount')
  const explicitNonce =
    options.nonce === undefined ? undefined : parseInteger(options.nonce, '--nonce', 0, nonceMax)
  const keyPair = await readKeyFile(options.from)
  const from = toHex(keyPair.publicKey)
  // The SDK's client for every call; its answers are checked here too, since the CLI may talk to any node.
  const client = new QuorateClient({ url: rpc, timeoutMs: queryTimeoutMs })

  const chainId = stringField(await client.status(), 'chain_id', 'status')
  if (!isValidChainId(chainId))
    throw new UnexpectedAnswerError(`the node reports an invalid chain id ${JSON.stringify(chainId)}`)
  const nonce = explicitNonce ?? (await nextNonce(client, from))

  const tx = buildTransfer({ chainId, keyPair, to, amount, nonce })
  if (options.signOnly === true) {
    return {
      hash: txHashHex(tx),
      code: 0,
      log: '',
      tx: txToHex(tx),
      from,
      to: toHex(to),
      amount: amount.toString(),
      nonce,
    }
  }
  const method = options.wait === true ? 'broadcast_tx_commit' : 'broadcast_tx_sync'
  let answer: unknown
  try {
    answer = await client.call(method, { tx: txToHex(tx) }, rpcCommitWaitMs + queryTimeoutMs)
  } catch (error) {
    // With --wait the node may have admitted the transfer and only the wait for its commit failed: say so,
    // because sending it again with a new nonce would pay twice.
    if (options.wait === true && (isServerDefinedError(error) || error instanceof RpcTransportError)) {
      throw new CommitNotSeenError(
        `transfer ${txHashHex(tx)} (nonce ${nonce}) was sent, but no commit was seen: ${error.message}. ` +
          `It may still commit; look it up with \`quorate tx ${txHashHex(tx)}\` before sending it again.`,
        { cause: error },
      )
    }
    throw error
  }
  const height = optionalCount(answer, 'height')
  return {
    hash: optionalString(answer, 'hash') ?? txHashHex(tx),
    code: countField(answer, 'code', method),
    log: optionalString(answer, 'log') ?? '',
    ...(height === undefined ? {} : { height }),
    from,
    to: toHex(to),
    amount: amount.toString(),
    nonce,
  }
}

async function nextNonce(client: QuorateClient, address: string): Promise<number> {
  const account = await client.call('account', { address })
  // Older nodes report only the committed nonce.
  return optionalCount(account, 'next_nonce') ?? countField(account, 'nonce', 'account')
}

/** The flags as commander parses them: --rpc may be left to $QUORATE_RPC or the default. */
type CliTransferOptions = Omit<TransferOptions, 'rpc'> & { readonly rpc?: string }

export function registerTx(program: Command): void {
  const tx = program
    .command('tx')
    .description('look up a committed transaction (`quorate tx <hash>`), or build, sign and submit one')
  tx.command('show <hash>', { isDefault: true })
    .description(
      'print a committed transaction (the `tx` RPC method: height, index, code, log) as JSON; ' +
        '`quorate tx <hash>` is short for it',
    )
    .addOption(rpcOption())
    .action(async (hash: string, options: { rpc?: string }) => {
      printJson(await queryTx(rpcUrlFrom(options.rpc), hash))
    })
  tx.command('transfer')
    .description(
      'sign a transfer with the key file given by --from and submit it with broadcast_tx_sync (or ' +
        'broadcast_tx_commit with --wait); prints JSON with the tx hash, the result code and log, and with ' +
        '--wait the committed height; exits with 4 if the node rejects the transfer',
    )
    .addOption(rpcOption())
    .requiredOption('--from <keyfile>', "the sender's key file (see `quorate keys new`)")
    .requiredOption('--to <address>', "the recipient's address: 64 hex characters (a public key)")
    .requiredOption('--amount <n>', 'a whole number greater than 0')
    .option(
      '--nonce <k>',
      "the sender's nonce; default: the next nonce as the node sees it, pending txs included",
    )
    .option('--wait', 'wait until the transfer is committed and print its height', false)
    .action(async (options: CliTransferOptions) => {
      const result = await transfer({ ...options, rpc: rpcUrlFrom(options.rpc) })
      printJson(result)
      if (result.code !== 0) throw new TxRejectedError(result.code, result.log)
    })
  tx.command('sign')
    .description(
      'sign a transfer like `tx transfer` but do not send it: prints JSON with its hash and "tx", the hex to ' +
        'pass as the "tx" parameter of broadcast_tx_sync or broadcast_tx_commit (with curl, say); the node at ' +
        '--rpc is only asked for the chain id and, without --nonce, the next nonce',
    )
    .addOption(rpcOption())
    .requiredOption('--from <keyfile>', "the sender's key file (see `quorate keys new`)")
    .requiredOption('--to <address>', "the recipient's address: 64 hex characters (a public key)")
    .requiredOption('--amount <n>', 'a whole number greater than 0')
    .option('--nonce <k>', "the sender's nonce; default: the next nonce as the node sees it")
    .action(async (options: CliTransferOptions) => {
      printJson(await transfer({ ...options, rpc: rpcUrlFrom(options.rpc), signOnly: true }))
    })
}

/** JSON-RPC reserves -32000..-32099 for server-defined errors, such as a request or commit wait timing out. */
function isServerDefinedError(error: unknown): error is RpcCallError {
  return error instanceof RpcCallError && error.code <= -32_000 && error.code >= -32_099
}

function fieldsOf(value: unknown, method: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UnexpectedAnswerError(`unexpected answer to ${method}: expected an object`)
  }
  return value as Record<string, unknown>
}

function stringField(value: unknown, field: string, method: string): string {
  const found = fieldsOf(value, method)[field]
  if (typeof found !== 'string')
    throw new UnexpectedAnswerError(`unexpected answer to ${method}: "${field}" is not a string`)
  return found
}

function countField(value: unknown, field: string, method: string): number {
  const found = optionalCount(value, field)
  if (found === undefined)
    throw new UnexpectedAnswerError(`unexpected answer to ${method}: "${field}" is not a whole number`)
  return found
}

function optionalCount(value: unknown, field: string): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const found = (value as Record<string, unknown>)[field]
  return typeof found === 'number' && Number.isSafeInteger(found) && found >= 0 ? found : undefined
}

function optionalString(value: unknown, field: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const found = (value as Record<string, unknown>)[field]
  return typeof found === 'string' ? found : undefined
}
