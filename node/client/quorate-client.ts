// The typed client of a Quorate node: queries and submissions over JSON-RPC (HTTP), commits and new blocks by
// subscription (WebSocket). What an application imports as `quorate/client`.

import { type KeyPair, toHex } from '../../crypto/index.js'
import type { Tx } from '../../ledger/types.js'
import { RpcCallError, rpcCall } from '../rpc/client.js'
import { EventSocket } from './event-socket.js'
import type {
  AccountInfo,
  BlockInfo,
  CommitResult,
  NewBlockEvent,
  NodeStatus,
  SubmitResult,
  Subscription,
  TxCommitEvent,
  ValidatorInfo,
} from './results.js'
import { buildTransfer, txHashHex, txToHex } from './transfer.js'

export interface QuorateClientOptions {
  /** The node's JSON-RPC URL, e.g. http://127.0.0.1:26601/ (its WebSocket is /websocket there). */
  readonly url: string
  /** The node's bearer token, when its RPC requires one. */
  readonly token?: string
  /** Per request (default 10 s). */
  readonly timeoutMs?: number
}

export interface TransferOptions {
  readonly keyPair: KeyPair
  /** The recipient: an address (public key) as bytes or hex. */
  readonly to: Uint8Array | string
  readonly amount: bigint
  /** Defaults to the node's next nonce for the sender (its pending transactions counted). */
  readonly nonce?: number
}

/** A transaction the node refused at admission; `code` and `log` say why (docs/rpc.md). */
export class TxRejectedError extends Error {
  static override name = 'TxRejectedError'
  override name = 'TxRejectedError'
  constructor(
    readonly hash: string,
    readonly code: number,
    readonly log: string,
  ) {
    super(`transaction ${hash} rejected (code ${code}): ${log}`)
  }
}

export class CommitTimeoutError extends Error {
  static override name = 'CommitTimeoutError'
  override name = 'CommitTimeoutError'
}

const defaultTimeoutMs = 10_000
const defaultCommitWaitMs = 30_000

export class QuorateClient {
  readonly url: string
  readonly #token: string | undefined
  readonly #timeoutMs: number
  readonly #events: EventSocket
  #chainId: string | undefined

  constructor(options: QuorateClientOptions) {
    this.url = options.url
    this.#token = options.token
    this.#timeoutMs = options.timeoutMs ?? defaultTimeoutMs
    this.#events = new EventSocket(options.url, options.token)
  }

  /** Calls any JSON-RPC method (docs/rpc.md); the typed methods below cover the common ones. */
  call<T = unknown>(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    return rpcCall<T>(this.url, method, params, {
      timeoutMs,
      ...(this.#token === undefined ? {} : { token: this.#token }),
    })
  }

  status(): Promise<NodeStatus> {
    return this.call<NodeStatus>('status')
  }

  async chainId(): Promise<string> {
    this.#chainId ??= (await this.status()).chain_id
    return this.#chainId
  }

  async account(address: Uint8Array | string): Promise<AccountInfo> {
    const answer = await this.call<{ address: string; balance: string; nonce: number; next_nonce?: number }>(
      'account',
      { address: hexOf(address) },
    )
    // Nodes before next_nonce report only the committed nonce.
    const nextNonce = answer.next_nonce ?? answer.nonce
    return { address: answer.address, balance: BigInt(answer.balance), nonce: answer.nonce, nextNonce }
  }

  /** The committed block at `height` (the latest when left out). */
  block(height?: number): Promise<BlockInfo> {
    return this.call<BlockInfo>('block', height === undefined ? {} : { height })
  }

  /** A committed transaction's location and receipt; undefined while it is not committed. */
  async tx(hash: string): Promise<CommitResult | undefined> {
    try {
      const answer = await this.call<{ hash: string; height: number; code?: number; log?: string }>('tx', {
        hash,
      })
      return { hash: answer.hash, height: answer.height, code: answer.code ?? 0, log: answer.log ?? '' }
    } catch (error) {
      if (error instanceof RpcCallError && error.code === -32602 && error.message.includes('not committed'))
        return undefined
      throw error
    }
  }

  async validators(): Promise<readonly ValidatorInfo[]> {
    return (await this.call<{ validators: ValidatorInfo[] }>('validators')).validators
  }

  /** Signs a transfer (nonce from the node unless given); does not send it. */
  async signTransfer(options: TransferOptions): Promise<Tx> {
    const nonce = options.nonce ?? (await this.account(options.keyPair.publicKey)).nextNonce
    return buildTransfer({
      chainId: await this.chainId(),
      keyPair: options.keyPair,
      to: typeof options.to === 'string' ? Buffer.from(options.to, 'hex') : options.to,
      amount: options.amount,
      nonce,
    })
  }

  /** Submits a signed transaction (broadcast_tx_sync): resolves once admitted, throws TxRejectedError if not. */
  async submit(tx: Tx): Promise<SubmitResult> {
    const result = await this.call<SubmitResult>('broadcast_tx_sync', { tx: txToHex(tx) })
    if (result.code !== 0) throw new TxRejectedError(result.hash ?? txHashHex(tx), result.code, result.log)
    return result
  }

  /**
   * Resolves when the transaction with `hash` is committed, by subscription: it subscribes first, then asks
   * whether the commit already happened, so a commit in between is not missed.
   */
  async waitForCommit(hash: string, timeoutMs = defaultCommitWaitMs): Promise<CommitResult> {
    const hashHex = hash.toLowerCase()
    let settle!: (result: CommitResult | Error) => void
    const settled = new Promise<CommitResult | Error>((resolve) => {
      settle = resolve
    })
    const unsubscribe = await this.#events.subscribe(
      `tm.event='Tx' AND tx.hash='${hashHex}'`,
      (data) => {
        const event = data.value as TxCommitEvent
        settle({ hash: event.hash, height: event.height, code: event.code, log: event.log })
      },
      (error) => settle(error),
    )
    const timer = setTimeout(
      () => settle(new CommitTimeoutError(`${hashHex} not committed within ${timeoutMs} ms`)),
      timeoutMs,
    )
    try {
      const already = await this.tx(hashHex)
      if (already !== undefined) settle(already)
      const result = await settled
      if (result instanceof Error) throw result
      return result
    } finally {
      clearTimeout(timer)
      await unsubscribe()
    }
  }

  /** Signs, submits and waits for the commit of a transfer. */
  async transfer(options: TransferOptions & { readonly timeoutMs?: number }): Promise<CommitResult> {
    const tx = await this.signTransfer(options)
    const { hash } = await this.submit(tx)
    return this.waitForCommit(hash, options.timeoutMs)
  }

  /** Calls `onBlock` for every block the node commits from now on, until the subscription is closed. */
  async subscribeBlocks(onBlock: (block: NewBlockEvent) => void): Promise<Subscription> {
    const unsubscribe = await this.#events.subscribe("tm.event='NewBlock'", (data) =>
      onBlock(data.value as NewBlockEvent),
    )
    return { close: unsubscribe }
  }

  /** Closes the WebSocket (HTTP requests need no closing). */
  close(): void {
    this.#events.close()
  }
}

function hexOf(address: Uint8Array | string): string {
  return typeof address === 'string' ? address.toLowerCase() : toHex(address)
}
