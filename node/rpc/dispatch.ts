// JSON-RPC 2.0 semantics over an already-parsed payload: request validation, method lookup, batches,
// notifications, time limits and error mapping. Transport-free, so the HTTP server and any later
// transport (WebSocket) answer the same way.

import { errorObject, RpcError, RpcErrorCode, type RpcErrorObject } from './errors.js'

export type RpcId = string | number | null

export interface RpcMethodContext {
  /** Aborted when the request runs past its time limit, the client goes away, or the server closes. */
  readonly signal: AbortSignal
  /**
   * The method refused for want of capacity (a full mempool): its result says so, and an HTTP transport also
   * answers 503 with Retry-After, so a client or proxy that only reads the status backs off too.
   */
  readonly overloaded: () => void
}

export type RpcMethod = (params: unknown, context: RpcMethodContext) => Promise<unknown>
export type RpcMethods = Readonly<Record<string, RpcMethod>>

/** Why a request (or connection) was answered with an error or dropped: one label per metrics counter. */
export type RpcRejectReason =
  | 'parse_error'
  | 'invalid_request'
  | 'batch_too_long'
  | 'json_too_deep'
  | 'body_too_large'
  | 'method_not_found'
  | 'invalid_params'
  | 'method_error'
  | 'internal_error'
  | 'timed_out'
  | 'connection_limit'
  | 'not_found'
  | 'unauthorized'
  /** Not a rejection of the request's form: refused for want of capacity (a full mempool), answered 503. */
  | 'overloaded'
  /** WebSocket: too many sockets open, a subscriber too slow to read its events, too many subscriptions. */
  | 'ws_socket_limit'
  | 'ws_slow_consumer'
  | 'ws_subscription_limit'

/** The subset of a pino logger the RPC layer uses. */
export interface RpcLogger {
  error(details: object, message: string): void
}

export interface DispatchOptions {
  readonly methods: RpcMethods
  readonly batchLengthMax: number
  readonly signal: AbortSignal
  readonly logger: RpcLogger
  readonly onRejected: (reason: RpcRejectReason) => void
  /** A method reported that it refused for want of capacity (RpcMethodContext.overloaded). */
  readonly onOverloaded?: () => void
  /** A known method finished (answered or failed) after `seconds`: for a duration histogram by method. */
  readonly onCalled?: (method: string, seconds: number) => void
}

/** The reason a request signal is aborted with when its time limit passes. */
export class RequestTimedOutError extends Error {
  static override name = 'RequestTimedOutError'
  override name = 'RequestTimedOutError'
}

interface ValidRequest {
  readonly method: string
  readonly params: unknown
  /** undefined for a notification, which gets no response. */
  readonly id: RpcId | undefined
}

export function errorResponseText(id: RpcId, error: RpcErrorObject): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error })
}

/**
 * Answers one parsed JSON-RPC payload (a request or a batch). Returns the response text, or null when
 * nothing is to be sent back (a notification, or a batch of notifications only).
 */
export async function dispatch(payload: unknown, options: DispatchOptions): Promise<string | null> {
  if (!Array.isArray(payload)) return answer(payload, options)
  if (payload.length === 0) {
    options.onRejected('invalid_request')
    return errorResponseText(null, { code: RpcErrorCode.invalidRequest, message: 'empty batch' })
  }
  if (payload.length > options.batchLengthMax) {
    options.onRejected('batch_too_long')
    return errorResponseText(null, {
      code: RpcErrorCode.invalidRequest,
      message: `batch of ${payload.length} requests exceeds the maximum of ${options.batchLengthMax}`,
    })
  }
  // One after another, in order: a batch of transfers from one account must reach the mempool in nonce order.
  const responses: string[] = []
  for (const item of payload) {
    const response = await answer(item, options)
    if (response !== null) responses.push(response)
  }
  return responses.length === 0 ? null : `[${responses.join(',')}]`
}

async function answer(item: unknown, options: DispatchOptions): Promise<string | null> {
  const request = validateRequest(item)
  if (request instanceof RpcError) {
    options.onRejected('invalid_request')
    return errorResponseText(requestIdOf(item), errorObject(request))
  }
  const outcome = await call(request, options)
  if (request.id === undefined) return null
  if (outcome instanceof RpcError) return errorResponseText(request.id, errorObject(outcome))
  return outcome
}

/** The response text for a successful call, or the RpcError to answer with. */
async function call(request: ValidRequest, options: DispatchOptions): Promise<string | RpcError> {
  const { methods, signal } = options
  if (!Object.hasOwn(methods, request.method)) {
    options.onRejected('method_not_found')
    return new RpcError(RpcErrorCode.methodNotFound, `method not found: ${truncate(request.method)}`)
  }
  const method = methods[request.method]
  if (method === undefined) throw new Error(`method table entry ${request.method} is undefined`)
  const startedMs = performance.now()
  try {
    const context = { signal, overloaded: options.onOverloaded ?? (() => {}) }
    const result = await untilAborted(invoke(method, request.params, context), signal)
    // Serialise here, per request, so a result that cannot be serialised fails only its own request.
    return JSON.stringify({ jsonrpc: '2.0', id: request.id ?? null, result: result ?? null })
  } catch (error) {
    return toRpcError(error, request.method, options)
  } finally {
    options.onCalled?.(request.method, (performance.now() - startedMs) / 1000)
  }
}

async function invoke(method: RpcMethod, params: unknown, context: RpcMethodContext): Promise<unknown> {
  // Inside an async function, so a method that throws synchronously is handled like one that rejects.
  return method(params, context)
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

function toRpcError(error: unknown, method: string, options: DispatchOptions): RpcError {
  if (error instanceof RpcError) {
    options.onRejected(error.code === RpcErrorCode.invalidParams ? 'invalid_params' : 'method_error')
    return error
  }
  if (error instanceof RequestTimedOutError) {
    options.onRejected('timed_out')
    return new RpcError(RpcErrorCode.requestTimedOut, 'request timed out')
  }
  if (options.signal.aborted && options.signal.reason === error) {
    // The client went away or the server is closing: nobody will read this answer.
    return new RpcError(RpcErrorCode.requestTimedOut, 'request aborted')
  }
  // Never sent to the client: a stack trace or an internal message tells an attacker about the node.
  options.logger.error({ err: error, method }, 'RPC method failed')
  options.onRejected('internal_error')
  return new RpcError(RpcErrorCode.internalError, 'internal error')
}

function validateRequest(item: unknown): ValidRequest | RpcError {
  const invalid = (message: string): RpcError => new RpcError(RpcErrorCode.invalidRequest, message)
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return invalid('a request must be a JSON object')
  }
  const fields = item as Record<string, unknown>
  if (fields.jsonrpc !== '2.0') return invalid('"jsonrpc" must be "2.0"')
  if (typeof fields.method !== 'string') return invalid('"method" must be a string')
  const params = fields.params
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    return invalid('"params" must be an object or an array when present')
  }
  const hasId = Object.hasOwn(fields, 'id')
  if (hasId && !isRpcId(fields.id)) return invalid('"id" must be a string, a number or null')
  return { method: fields.method, params, id: hasId ? (fields.id as RpcId) : undefined }
}

function isRpcId(value: unknown): value is RpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
}

/** The id to echo in an error for an invalid request: its own when it is a valid id, else null. */
function requestIdOf(item: unknown): RpcId {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return null
  const id = (item as Record<string, unknown>).id
  return isRpcId(id) ? id : null
}

function truncate(text: string): string {
  return text.length <= 64 ? text : `${text.slice(0, 64)}…`
}
