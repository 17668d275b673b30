// A minimal JSON-RPC 2.0 client over fetch, for the CLI, tests and the load generator.

import { rpcCommitWaitMs } from '../../ledger/limits.js'

/** The server answered with a JSON-RPC error. */
export class RpcCallError extends Error {
  static override name = 'RpcCallError'
  override name = 'RpcCallError'
  readonly code: number
  readonly data: unknown

  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.code = code
    this.data = data
  }
}

/** No JSON-RPC answer: the server is unreachable, timed out, or answered with something else. */
export class RpcTransportError extends Error {
  static override name = 'RpcTransportError'
  override name = 'RpcTransportError'
}

export interface RpcCallOptions {
  readonly signal?: AbortSignal
  /** Defaults to a little over the server's commit wait, so broadcast_tx_commit can finish. */
  readonly timeoutMs?: number
  /** The node's bearer token; defaults to QUORATE_RPC_TOKEN from the environment. */
  readonly token?: string
}

const defaultTimeoutMs = rpcCommitWaitMs + 5_000
let nextRequestId = 1

/**
 * Calls `method` at `url` and returns its result. The result is not checked against T: callers that cannot
 * trust the server ask for `unknown` and narrow it.
 */
export async function rpcCall<T = unknown>(
  url: string,
  method: string,
  params: unknown,
  options: RpcCallOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
  const id = nextRequestId++
  let text: string
  let status: number
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: rpcHeaders(options.token),
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      signal,
    })
    status = response.status
    text = await response.text()
  } catch (error) {
    if (timeout.aborted) throw new RpcTransportError(`${url}: no answer to ${method} within ${timeoutMs} ms`)
    if (options.signal?.aborted) throw error
    throw new RpcTransportError(`${url}: cannot reach the RPC server (${describeFetchError(error)})`)
  }
  const body = parseResponse(text)
  if (body === undefined) {
    throw new RpcTransportError(`${url}: HTTP ${status} without a JSON-RPC response to ${method}`)
  }
  if (isErrorObject(body.error)) throw new RpcCallError(body.error.code, body.error.message, body.error.data)
  if (!Object.hasOwn(body, 'result')) {
    throw new RpcTransportError(`${url}: HTTP ${status} response to ${method} has neither result nor error`)
  }
  return body.result as T
}

function parseResponse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // Not JSON: reported by the caller with the HTTP status.
  }
  return undefined
}

function isErrorObject(value: unknown): value is { code: number; message: string; data?: unknown } {
  if (typeof value !== 'object' || value === null) return false
  const fields = value as Record<string, unknown>
  return typeof fields.code === 'number' && typeof fields.message === 'string'
}

/** fetch wraps the socket error (ECONNREFUSED, ENOTFOUND, …) in `cause`. */
function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    const cause: unknown = error.cause
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code
      return code === undefined ? cause.message : code
    }
    return error.message
  }
  return String(error)
}

/** The bearer token for a node whose RPC requires one comes from the environment, never from a flag. */
export const rpcTokenEnv = 'QUORATE_RPC_TOKEN'

function rpcHeaders(given?: string): Record<string, string> {
  const token = given ?? process.env[rpcTokenEnv]
  return token === undefined || token === ''
    ? { 'Content-Type': 'application/json' }
    : { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }
}
