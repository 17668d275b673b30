// JSON-RPC 2.0 over HTTP (node:http). POST / takes a request or a batch; GET /<method>?k=v calls a method
// with query parameters, as CometBFT's URI interface does. Every input is bounded before work is done on it:
// connections, body bytes (while streaming), JSON nesting (before parsing), batch length, and time.

import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import {
  rpcBatchLengthMax,
  rpcBodyBytesMax,
  rpcConnectionCountMax,
  rpcJsonDepthMax,
  rpcRequestTimeoutMs,
  rpcSocketBufferedBytesMax,
  rpcSubscriptionsPerSocketMax,
  rpcWebSocketCountMax,
} from '../../ledger/limits.js'
import { ClientClosedError, readBody } from './body.js'
import {
  dispatch,
  errorResponseText,
  RequestTimedOutError,
  type RpcLogger,
  type RpcMethods,
  type RpcRejectReason,
} from './dispatch.js'
import { RpcErrorCode } from './errors.js'
import { jsonDepth } from './json-depth.js'
import { queryParams } from './query.js'
import { type RpcEventSource, WebSocketRpc } from './websocket.js'

export interface RpcLimits {
  readonly bodyBytesMax: number
  readonly batchLengthMax: number
  readonly jsonDepthMax: number
  readonly connectionCountMax: number
  readonly requestTimeoutMs: number
  readonly webSocketCountMax: number
  readonly subscriptionsPerSocketMax: number
  /** Event bytes a WebSocket subscriber may leave unread before it is closed as a slow consumer. */
  readonly socketBufferedBytesMax: number
}

export const defaultRpcLimits: RpcLimits = {
  bodyBytesMax: rpcBodyBytesMax,
  batchLengthMax: rpcBatchLengthMax,
  jsonDepthMax: rpcJsonDepthMax,
  connectionCountMax: rpcConnectionCountMax,
  requestTimeoutMs: rpcRequestTimeoutMs,
  webSocketCountMax: rpcWebSocketCountMax,
  subscriptionsPerSocketMax: rpcSubscriptionsPerSocketMax,
  socketBufferedBytesMax: rpcSocketBufferedBytesMax,
}

export type RpcRouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>

export interface RpcServerOptions {
  /** Defaults to 127.0.0.1: the RPC is reachable from other hosts only when configured so. */
  readonly host?: string
  /** 0 picks a free port (see `url`). */
  readonly port: number
  readonly methods: RpcMethods
  readonly limits?: Partial<RpcLimits>
  /** Called once per rejected request or dropped connection, e.g. to count it in metrics. */
  readonly onRejected?: (reason: RpcRejectReason) => void
  /** A known method finished after `seconds` (answered or failed), e.g. for a duration histogram. */
  readonly onCalled?: (method: string, seconds: number) => void
  /** Plain HTTP routes keyed by "METHOD /path", e.g. "GET /metrics"; they take precedence over RPC paths. */
  readonly extraRoutes?: Readonly<Record<string, RpcRouteHandler>>
  /**
   * When set, every request must carry `Authorization: Bearer <token>` (for an RPC reachable from other
   * hosts); others get HTTP 401 and a JSON-RPC error, before their body is read.
   */
  readonly bearerToken?: string
  readonly logger?: RpcLogger
  /** When set, /websocket serves JSON-RPC over WebSocket with subscriptions to these events (websocket.ts). */
  readonly events?: RpcEventSource
}

/** Answers of GET /<method> carry this id, as CometBFT's URI interface does. */
const uriRequestId = -1

export class RpcServer {
  readonly url: string
  readonly host: string
  readonly port: number
  readonly limits: RpcLimits
  private readonly server: Server
  private readonly options: RpcServerOptions
  private readonly logger: RpcLogger
  private readonly inFlight = new Set<AbortController>()
  private webSocket: WebSocketRpc | undefined
  private closed = false

  private constructor(server: Server, options: RpcServerOptions, limits: RpcLimits, logger: RpcLogger) {
    this.server = server
    this.options = options
    this.limits = limits
    this.logger = logger
    const address = server.address() as AddressInfo
    this.host = address.address
    this.port = address.port
    this.url = `http://${urlHost(address.address)}:${address.port}/`
  }

  static async create(options: RpcServerOptions): Promise<RpcServer> {
    const limits: RpcLimits = { ...defaultRpcLimits, ...options.limits }
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`RPC limit ${name} must be > 0`)
    }
    const logger = options.logger ?? pino({ name: 'quorate-rpc' })
    const server = createServer({
      // Node's own limits on slow clients; our per-request timer (below) normally answers first.
      headersTimeout: Math.min(limits.requestTimeoutMs, 10_000),
      requestTimeout: limits.requestTimeoutMs + 1_000,
    })
    server.maxConnections = limits.connectionCountMax
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    const rpcServer = new RpcServer(server, options, limits, logger)
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      rpcServer.handle(request, response),
    )
    if (options.events !== undefined) rpcServer.webSocket = rpcServer.#openWebSocket(options.events)
    server.on('drop', () => rpcServer.reject('connection_limit'))
    server.on('clientError', (_error, socket) => socket.destroy())
    return rpcServer
  }

  /** Stops accepting, aborts requests in flight, closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.webSocket?.close()
    for (const controller of this.inFlight) controller.abort(new Error('RPC server closing'))
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closing
  }

  private reject(reason: RpcRejectReason): void {
    try {
      this.options.onRejected?.(reason)
    } catch (error) {
      this.logger.error({ err: error }, 'RPC onRejected hook failed')
    }
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const controller = new AbortController()
    this.inFlight.add(controller)
    const timer = setTimeout(
      () => controller.abort(new RequestTimedOutError('request timed out')),
      this.limits.requestTimeoutMs,
    )
    response.on('close', () => {
      clearTimeout(timer)
      this.inFlight.delete(controller)
      if (!response.writableFinished) controller.abort(new Error('client went away'))
    })
    this.route(request, response, controller.signal).catch((error: unknown) => {
      if (error instanceof ClientClosedError) return
      if (controller.signal.aborted && !(controller.signal.reason instanceof RequestTimedOutError)) return
      if (error instanceof RequestTimedOutError) {
        this.reject('timed_out')
        send(
          response,
          200,
          errorResponseText(null, { code: RpcErrorCode.requestTimedOut, message: 'request timed out' }),
        )
        return
      }
      this.logger.error({ err: error, url: request.url }, 'RPC request failed')
      this.reject('internal_error')
      send(
        response,
        500,
        errorResponseText(null, { code: RpcErrorCode.internalError, message: 'internal error' }),
      )
    })
  }

  #openWebSocket(events: RpcEventSource): WebSocketRpc {
    const { limits } = this
    return new WebSocketRpc(this.server, {
      limits: {
        socketCountMax: limits.webSocketCountMax,
        subscriptionsPerSocketMax: limits.subscriptionsPerSocketMax,
        bufferedBytesMax: limits.socketBufferedBytesMax,
        messageBytesMax: limits.bodyBytesMax,
        jsonDepthMax: limits.jsonDepthMax,
        requestTimeoutMs: limits.requestTimeoutMs,
      },
      events,
      authorized: (request) => this.#authorized(request),
      dispatchOptions: (signal) => this.dispatchOptions(signal, () => {}),
      reject: (reason) => this.reject(reason),
    })
  }

  #authorized(request: IncomingMessage): boolean {
    const token = this.options.bearerToken
    if (token === undefined) return true
    const given = Buffer.from(request.headers.authorization ?? '')
    const expected = Buffer.from(`Bearer ${token}`)
    // Constant time, so the token cannot be guessed byte by byte from response times.
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  private async route(
    request: IncomingMessage,
    response: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const target = request.url ?? '/'
    const queryStart = target.indexOf('?')
    const path = queryStart === -1 ? target : target.slice(0, queryStart)
    const query = queryStart === -1 ? '' : target.slice(queryStart + 1)
    if (!this.#authorized(request)) {
      this.reject('unauthorized')
      response.setHeader('WWW-Authenticate', 'Bearer')
      send(
        response,
        401,
        errorResponseText(null, { code: RpcErrorCode.invalidRequest, message: 'unauthorized' }),
      )
      return
    }
    const extraRoutes = this.options.extraRoutes ?? {}
    const routeKey = `${request.method} ${path}`
    const extraRoute = Object.hasOwn(extraRoutes, routeKey) ? extraRoutes[routeKey] : undefined
    if (extraRoute !== undefined) return extraRoute(request, response)

    if (request.method === 'POST' && path === '/') return this.handlePost(request, response, signal)
    if (request.method === 'GET' && path === '/') {
      send(response, 200, JSON.stringify({ methods: Object.keys(this.options.methods).sort() }))
      return
    }
    if (request.method === 'GET') return this.handleUriCall(path.slice(1), query, response, signal)
    if (request.method === 'POST') {
      this.reject('not_found')
      send(
        response,
        404,
        errorResponseText(null, { code: RpcErrorCode.invalidRequest, message: 'POST to /' }),
      )
      return
    }
    response.setHeader('Allow', 'GET, POST')
    send(
      response,
      405,
      errorResponseText(null, { code: RpcErrorCode.invalidRequest, message: 'use POST or GET' }),
    )
  }

  private async handlePost(
    request: IncomingMessage,
    response: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const { bodyBytesMax, jsonDepthMax } = this.limits
    const body = await readBody(request, bodyBytesMax, signal)
    if (body.kind === 'too-large') {
      this.reject('body_too_large')
      response.setHeader('Connection', 'close')
      const message = `request body exceeds ${bodyBytesMax} bytes`
      send(response, 413, errorResponseText(null, { code: RpcErrorCode.invalidRequest, message }))
      return
    }
    if (jsonDepth(body.bytes, jsonDepthMax) > jsonDepthMax) {
      this.reject('json_too_deep')
      const message = `JSON nesting deeper than ${jsonDepthMax} levels`
      send(response, 200, errorResponseText(null, { code: RpcErrorCode.invalidRequest, message }))
      return
    }
    let payload: unknown
    try {
      payload = JSON.parse(body.bytes.toString('utf8'))
    } catch {
      this.reject('parse_error')
      send(response, 200, errorResponseText(null, { code: RpcErrorCode.parseError, message: 'parse error' }))
      return
    }
    let overloaded = false
    const answer = await dispatch(
      payload,
      this.dispatchOptions(signal, () => (overloaded = true)),
    )
    // A lone request refused for want of capacity: 503 with its JSON-RPC answer. A batch keeps 200 (its other
    // answers may have succeeded); each answer still says why.
    if (overloaded && !Array.isArray(payload)) sendOverloaded(response, answer)
    else send(response, answer === null ? 204 : 200, answer)
  }

  private async handleUriCall(method: string, query: string, response: ServerResponse, signal: AbortSignal) {
    let name: string
    try {
      name = decodeURIComponent(method)
    } catch {
      name = method
    }
    if (!Object.hasOwn(this.options.methods, name)) {
      this.reject('not_found')
      const message = `no such path or method: /${name.slice(0, 64)}`
      send(response, 404, errorResponseText(uriRequestId, { code: RpcErrorCode.methodNotFound, message }))
      return
    }
    const params = queryParams(query)
    let overloaded = false
    const answer = await dispatch(
      { jsonrpc: '2.0', id: uriRequestId, method: name, params },
      this.dispatchOptions(signal, () => (overloaded = true)),
    )
    if (overloaded) sendOverloaded(response, answer)
    else send(response, 200, answer)
  }

  private dispatchOptions(signal: AbortSignal, onOverloaded: () => void) {
    return {
      methods: this.options.methods,
      batchLengthMax: this.limits.batchLengthMax,
      signal,
      logger: this.logger,
      onRejected: (reason: RpcRejectReason) => this.reject(reason),
      onOverloaded: () => {
        this.reject('overloaded')
        onOverloaded()
      },
      ...(this.options.onCalled === undefined ? {} : { onCalled: this.options.onCalled }),
    }
  }
}

/** Seconds a client is asked to wait after a 503 (the mempool drains at the commit rate). */
export const overloadedRetryAfterSeconds = 1

/** 503 Service Unavailable with Retry-After, and the JSON-RPC answer that says what was refused. */
function sendOverloaded(response: ServerResponse, body: string | null): void {
  if (response.headersSent || response.destroyed) return
  const text = body ?? ''
  response.writeHead(503, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Retry-After': String(overloadedRetryAfterSeconds),
  })
  response.end(text)
}

function send(response: ServerResponse, status: number, body: string | null): void {
  if (response.headersSent || response.destroyed) return
  if (body === null) {
    response.writeHead(status === 200 ? 204 : status)
    response.end()
    return
  }
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  })
  response.end(body)
}

/** How a client reaches an address the server listens on. */
function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1'
  if (address === '::') return '[::1]'
  return address.includes(':') ? `[${address}]` : address
}
