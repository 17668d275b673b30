// JSON-RPC over node:http with a keep-alive Agent, as a long-lived client would talk to a validator: one TCP
// connection per closed-loop client, reused for every request, so the benchmark measures the node and not
// connection set-up. Never throws: every way a call can end is an outcome the load generator counts.

import http from 'node:http'

export type RpcOutcome =
  | { readonly kind: 'result'; readonly result: unknown }
  | { readonly kind: 'rpc-error'; readonly code: number; readonly message: string }
  /** An HTTP answer that is not a JSON-RPC response (a 503 from an overloaded server, for instance). */
  | { readonly kind: 'http'; readonly status: number }
  | { readonly kind: 'timeout' }
  /** No answer: refused or reset connection. */
  | { readonly kind: 'transport'; readonly code: string }

export interface RpcEndpoint {
  readonly url: URL
  readonly agent: http.Agent
}

/** One keep-alive agent per validator, with room for every client pinned to it. */
export function keepAliveEndpoint(url: string, clients: number): RpcEndpoint {
  const sockets = Math.max(1, clients)
  return {
    url: new URL(url),
    agent: new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets }),
  }
}

let nextRequestId = 1

export function callRpc(
  endpoint: RpcEndpoint,
  method: string,
  params: unknown,
  timeoutMs: number,
): Promise<RpcOutcome> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: nextRequestId++, method, params })
  return new Promise((resolve) => {
    let settled = false
    const settle = (outcome: RpcOutcome): void => {
      if (settled) return
      settled = true
      resolve(outcome)
    }
    const request = http.request(
      {
        host: endpoint.url.hostname,
        port: endpoint.url.port,
        path: endpoint.url.pathname,
        method: 'POST',
        agent: endpoint.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', (error) => settle(transportOutcome(error)))
        response.on('end', () => settle(parseAnswer(response.statusCode ?? 0, Buffer.concat(chunks))))
      },
    )
    request.setTimeout(timeoutMs, () => {
      settle({ kind: 'timeout' })
      request.destroy()
    })
    request.on('error', (error) => settle(transportOutcome(error)))
    request.end(body)
  })
}

function transportOutcome(error: Error): RpcOutcome {
  return { kind: 'transport', code: (error as NodeJS.ErrnoException).code ?? error.name }
}

function parseAnswer(status: number, bytes: Buffer): RpcOutcome {
  let answer: unknown
  try {
    answer = JSON.parse(bytes.toString('utf8'))
  } catch {
    return { kind: 'http', status }
  }
  if (typeof answer !== 'object' || answer === null) return { kind: 'http', status }
  const fields = answer as Record<string, unknown>
  const error = fields.error
  if (typeof error === 'object' && error !== null) {
    const code = (error as Record<string, unknown>).code
    const message = (error as Record<string, unknown>).message
    if (typeof code === 'number') return { kind: 'rpc-error', code, message: String(message) }
  }
  if (Object.hasOwn(fields, 'result')) return { kind: 'result', result: fields.result }
  return { kind: 'http', status }
}
