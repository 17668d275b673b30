// A real RPC server on a free port with a small method table, for the server, fuzz and client tests.

import type { RpcMethods, RpcRejectReason } from '../../node/rpc/dispatch.js'
import { invalidParams, RpcError, RpcErrorCode } from '../../node/rpc/errors.js'
import { RpcServer, type RpcServerOptions } from '../../node/rpc/server.js'

/** The message of the -32602 (invalid params) error `run` throws; fails the test when it throws anything else. */
export function invalidParamsMessage(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (!(error instanceof RpcError) || error.code !== RpcErrorCode.invalidParams)
      throw new Error(`expected -32602, got ${String(error)}`)
    return error.message
  }
  throw new Error('expected -32602, got no error')
}

export interface TestServer {
  readonly server: RpcServer
  readonly rejected: RpcRejectReason[]
  readonly logged: { details: object; message: string }[]
  readonly notified: unknown[]
}

export const secretMessage = 'secret internal detail /home/validator/keys'

export function testMethods(notified: unknown[]): RpcMethods {
  return {
    echo: async (params) => params,
    add: async (params) => {
      const [a, b] = Array.isArray(params) && params.length === 2 ? params : []
      if (typeof a !== 'number' || typeof b !== 'number')
        throw invalidParams('expected [a, b] with two numbers')
      return a + b
    },
    nothing: async () => undefined,
    notify: async (params) => {
      notified.push(params)
      return 'ok'
    },
    fail: async () => {
      throw new Error(secretMessage)
    },
    failSync: (() => {
      throw new TypeError(secretMessage)
    }) as RpcMethods[string],
    custom: async () => {
      throw new RpcError(-32010, 'custom failure', { detail: 1 })
    },
    bigint: async () => 1n,
    slow: (_params, { signal }) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      }),
    sleep: async (params) => {
      const ms = typeof params === 'object' && params !== null ? Number((params as { ms?: unknown }).ms) : 0
      await new Promise((resolve) => setTimeout(resolve, ms))
      return ms
    },
  }
}

export async function startTestServer(
  options: Partial<Omit<RpcServerOptions, 'onRejected' | 'logger'>> = {},
): Promise<TestServer> {
  const rejected: RpcRejectReason[] = []
  const logged: { details: object; message: string }[] = []
  const notified: unknown[] = []
  const server = await RpcServer.create({
    port: 0,
    methods: testMethods(notified),
    ...options,
    onRejected: (reason) => rejected.push(reason),
    logger: { error: (details, message) => logged.push({ details, message }) },
  })
  return { server, rejected, logged, notified }
}

export interface HttpAnswer {
  readonly status: number
  readonly text: string
  readonly contentType: string | null
}

export async function post(url: string, body: string | Uint8Array): Promise<HttpAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
  return {
    status: response.status,
    text: await response.text(),
    contentType: response.headers.get('content-type'),
  }
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const answer = await post(url, JSON.stringify(body))
  return { status: answer.status, json: answer.text === '' ? undefined : JSON.parse(answer.text) }
}

/** True when `value` is a well-formed JSON-RPC 2.0 response object (result xor error). */
export function isResponse(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const fields = value as Record<string, unknown>
  if (fields.jsonrpc !== '2.0') return false
  if (!Object.hasOwn(fields, 'id')) return false
  const id = fields.id
  if (!(id === null || typeof id === 'string' || typeof id === 'number')) return false
  const hasResult = Object.hasOwn(fields, 'result')
  const hasError = Object.hasOwn(fields, 'error')
  if (hasResult === hasError) return false
  if (hasError) {
    const error = fields.error as Record<string, unknown>
    if (typeof error !== 'object' || error === null) return false
    if (!Number.isInteger(error.code) || typeof error.message !== 'string') return false
  }
  return Object.keys(fields).every((key) => ['jsonrpc', 'id', 'result', 'error'].includes(key))
}
