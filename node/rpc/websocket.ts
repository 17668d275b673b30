// JSON-RPC over WebSocket at /websocket on the RPC port, as CometBFT serves it: every method of the HTTP
// interface, plus `subscribe` / `unsubscribe` / `unsubscribe_all` to committed blocks and to one transaction's
// commit. Bounded like the rest of the RPC: sockets open at once, subscriptions per socket, message size, and
// the bytes of events a subscriber leaves unread (a slow consumer is closed with a reason, not buffered for).

import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import { toHex } from '../../crypto/hex.js'
import { txHash } from '../../ledger/hashing.js'
import type { Receipt } from '../../ledger/types.js'
import type { CommittedBlock } from '../consensus/types.js'
import {
  type DispatchOptions,
  dispatch,
  errorResponseText,
  RequestTimedOutError,
  type RpcId,
  type RpcRejectReason,
} from './dispatch.js'
import { RpcErrorCode } from './errors.js'
import { type EventQuery, parseEventQuery } from './event-query.js'
import { jsonDepth } from './json-depth.js'

/** Where events come from: the validator's commits. */
export interface RpcEventSource {
  /** Calls `listener` after every committed block, once it is on disk; returns an unsubscribe. */
  onCommitted(listener: (committed: CommittedBlock) => void): () => void
  /** The stored receipt of a committed transaction. */
  receipt(hash: Uint8Array): Promise<Receipt | undefined>
}

export interface WebSocketLimits {
  readonly socketCountMax: number
  readonly subscriptionsPerSocketMax: number
  /** A subscriber with more event bytes than this unsent is closed (1008, "slow consumer"). */
  readonly bufferedBytesMax: number
  readonly messageBytesMax: number
  readonly jsonDepthMax: number
  readonly requestTimeoutMs: number
}

export interface WebSocketRpcOptions {
  readonly limits: WebSocketLimits
  readonly events: RpcEventSource
  /** May this upgrade request in (the bearer token)? */
  readonly authorized: (request: IncomingMessage) => boolean
  /** The HTTP interface's dispatch options for one request's signal. */
  readonly dispatchOptions: (signal: AbortSignal) => DispatchOptions
  /** Counts a refusal (metrics). */
  readonly reject: (reason: WebSocketRejectReason) => void
}

export type WebSocketRejectReason = Extract<
  RpcRejectReason,
  'ws_socket_limit' | 'ws_slow_consumer' | 'ws_subscription_limit' | 'unauthorized'
>

export const webSocketPath = '/websocket'

interface Subscription {
  readonly socket: WebSocket
  /** The subscribe request's id: CometBFT sends each event as a response to it. */
  readonly id: RpcId
  readonly query: string
  readonly parsed: EventQuery
}

export class WebSocketRpc {
  readonly #options: WebSocketRpcOptions
  readonly #server = new WebSocketServer({ noServer: true })
  readonly #subscriptions = new Map<WebSocket, Map<string, Subscription>>()
  readonly #inFlight = new Set<AbortController>()
  readonly #stopListening: () => void

  constructor(httpServer: Server, options: WebSocketRpcOptions) {
    this.#options = options
    this.#server.options.maxPayload = options.limits.messageBytesMax
    httpServer.on('upgrade', (request, socket, head) => this.#upgrade(request, socket, head))
    this.#stopListening = options.events.onCommitted((committed) => this.#publish(committed))
  }

  close(): void {
    this.#stopListening()
    for (const controller of this.#inFlight) controller.abort(new Error('RPC server closing'))
    for (const socket of this.#server.clients) socket.terminate()
    this.#server.close()
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal = this.#refusal(request)
    if (refusal !== undefined) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    this.#server.handleUpgrade(request, socket, head, (ws) => this.#accept(ws))
  }

  /** Why an upgrade request is refused (its HTTP status line), or undefined to accept it. */
  #refusal(request: IncomingMessage): string | undefined {
    if ((request.url ?? '').split('?')[0] !== webSocketPath) return '404 Not Found'
    if (!this.#options.authorized(request)) {
      this.#options.reject('unauthorized')
      return '401 Unauthorized'
    }
    if (this.#server.clients.size >= this.#options.limits.socketCountMax) {
      this.#options.reject('ws_socket_limit')
      return '503 Service Unavailable'
    }
    return undefined
  }

  #accept(socket: WebSocket): void {
    this.#subscriptions.set(socket, new Map())
    socket.on('message', (data, isBinary) => {
      if (isBinary) socket.close(1003, 'binary messages are not JSON-RPC')
      else void this.#onMessage(socket, data)
    })
    socket.on('close', () => this.#subscriptions.delete(socket))
    socket.on('error', () => socket.terminate())
  }

  async #onMessage(socket: WebSocket, data: RawData): Promise<void> {
    const bytes = Buffer.isBuffer(data)
      ? data
      : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)])
    const { jsonDepthMax, requestTimeoutMs } = this.#options.limits
    if (jsonDepth(bytes, jsonDepthMax) > jsonDepthMax) {
      const message = `JSON nesting deeper than ${jsonDepthMax} levels`
      return this.#send(socket, errorResponseText(null, { code: RpcErrorCode.invalidRequest, message }))
    }
    let payload: unknown
    try {
      payload = JSON.parse(bytes.toString('utf8'))
    } catch {
      return this.#send(
        socket,
        errorResponseText(null, { code: RpcErrorCode.parseError, message: 'parse error' }),
      )
    }
    const local = this.#subscriptionCall(socket, payload)
    if (local !== undefined) return this.#send(socket, local)
    const controller = new AbortController()
    this.#inFlight.add(controller)
    const timer = setTimeout(
      () => controller.abort(new RequestTimedOutError('request timed out')),
      requestTimeoutMs,
    )
    try {
      const answer = await dispatch(payload, this.#options.dispatchOptions(controller.signal))
      if (answer !== null) this.#send(socket, answer)
    } finally {
      clearTimeout(timer)
      this.#inFlight.delete(controller)
    }
  }

  /** The answer to subscribe / unsubscribe / unsubscribe_all; undefined for every other payload. */
  #subscriptionCall(socket: WebSocket, payload: unknown): string | undefined {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined
    const { method, params, id } = payload as { method?: unknown; params?: unknown; id?: unknown }
    if (method !== 'subscribe' && method !== 'unsubscribe' && method !== 'unsubscribe_all') return undefined
    const requestId: RpcId = typeof id === 'string' || typeof id === 'number' ? id : null
    const result = (value: unknown) => JSON.stringify({ jsonrpc: '2.0', id: requestId, result: value })
    const invalid = (message: string) =>
      errorResponseText(requestId, { code: RpcErrorCode.invalidParams, message })
    const mine = this.#subscriptions.get(socket)
    if (mine === undefined) return undefined
    if (method === 'unsubscribe_all') {
      mine.clear()
      return result({})
    }
    const query = queryParam(params)
    const parsed = parseEventQuery(query)
    if (typeof parsed === 'string') return invalid(parsed)
    const key = query as string
    if (method === 'unsubscribe') {
      if (!mine.delete(key)) return invalid(`not subscribed to ${JSON.stringify(key)}`)
      return result({})
    }
    if (mine.has(key)) return invalid(`already subscribed to ${JSON.stringify(key)}`)
    const { subscriptionsPerSocketMax } = this.#options.limits
    if (mine.size >= subscriptionsPerSocketMax) {
      this.#options.reject('ws_subscription_limit')
      return errorResponseText(requestId, {
        code: RpcErrorCode.tooManySubscriptions,
        message: `at most ${subscriptionsPerSocketMax} subscriptions per connection`,
      })
    }
    mine.set(key, { socket, id: requestId, query: key, parsed })
    return result({})
  }

  #publish(committed: CommittedBlock): void {
    if (this.#subscriptions.size === 0) return
    const { block, hash } = committed
    const { header } = block
    let hashes: Map<string, number> | undefined
    for (const mine of this.#subscriptions.values()) {
      for (const subscription of mine.values()) {
        if (subscription.parsed.event === 'new_block') {
          this.#event(subscription, 'new_block', {
            height: header.height,
            hash: toHex(hash),
            view: header.view,
            proposer: header.proposer,
            timestamp_ms: header.timestampMs,
            num_txs: block.txs.length,
            tx_root: toHex(header.txRoot),
            state_root: toHex(header.stateRoot),
          })
          continue
        }
        hashes ??= new Map(block.txs.map((tx, index) => [toHex(txHash(tx)), index]))
        const index = hashes.get(subscription.parsed.hashHex)
        if (index !== undefined) void this.#publishTx(subscription, header.height, index)
      }
    }
  }

  /** A transaction's commit: delivered once, then its subscription ends. */
  async #publishTx(subscription: Subscription, height: number, index: number): Promise<void> {
    if (subscription.parsed.event !== 'tx') return
    const hashHex = subscription.parsed.hashHex
    this.#subscriptions.get(subscription.socket)?.delete(subscription.query)
    const receipt = await this.#options.events.receipt(Buffer.from(hashHex, 'hex')).catch(() => undefined)
    this.#event(subscription, 'tx', {
      hash: hashHex,
      height,
      index,
      code: receipt?.code ?? 0,
      log: receipt?.log ?? '',
    })
  }

  #event(subscription: Subscription, type: 'new_block' | 'tx', value: unknown): void {
    const text = JSON.stringify({
      jsonrpc: '2.0',
      id: subscription.id,
      result: { query: subscription.query, data: { type, value } },
    })
    this.#send(subscription.socket, text)
  }

  /** Sends, unless the socket already holds more unsent bytes than allowed: then it is closed as slow. */
  #send(socket: WebSocket, text: string): void {
    if (socket.readyState !== WebSocket.OPEN) return
    const { bufferedBytesMax } = this.#options.limits
    if (socket.bufferedAmount + text.length > bufferedBytesMax) {
      this.#options.reject('ws_slow_consumer')
      this.#subscriptions.delete(socket)
      socket.close(1008, `slow consumer: more than ${bufferedBytesMax} bytes unread`)
      // A peer that does not read may not answer the close handshake either.
      setTimeout(() => socket.terminate(), 1_000).unref()
      return
    }
    socket.send(text)
  }
}

/** `params.query` (CometBFT's form) or `params[0]`. */
function queryParam(params: unknown): unknown {
  if (Array.isArray(params)) return params[0]
  if (typeof params === 'object' && params !== null) return (params as { query?: unknown }).query
  return undefined
}
