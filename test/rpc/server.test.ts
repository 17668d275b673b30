import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RpcErrorCode } from '../../node/rpc/errors.js'
import { RpcServer } from '../../node/rpc/server.js'
import { post, postJson, secretMessage, startTestServer, type TestServer } from './helpers.js'

let current: TestServer | undefined
const sockets: Socket[] = []

async function serve(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  current = await startTestServer(options)
  return current
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await current?.server.close()
  current = undefined
})

const call = (method: string, params?: unknown, id: unknown = 1) => ({
  jsonrpc: '2.0',
  method,
  ...(params === undefined ? {} : { params }),
  id,
})

describe('RPC server: single requests', () => {
  it('listens on 127.0.0.1 by default and reports its URL', async () => {
    const { server } = await serve()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(server.port).toBeGreaterThan(0)
  })

  it('answers a call with its result and echoes the id (number or string)', async () => {
    const { server } = await serve()
    expect((await postJson(server.url, call('add', [2, 3], 7))).json).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: 5,
    })
    expect((await postJson(server.url, call('echo', { a: 1 }, 'x'))).json).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      result: { a: 1 },
    })
  })

  it('answers with JSON content type and HTTP 200', async () => {
    const { server } = await serve()
    const answer = await post(server.url, JSON.stringify(call('echo', [1])))
    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('application/json')
  })

  it('turns an undefined result into null and keeps an id of null', async () => {
    const { server } = await serve()
    expect((await postJson(server.url, call('nothing', undefined, null))).json).toEqual({
      jsonrpc: '2.0',
      id: null,
      result: null,
    })
  })

  it('-32700 parse error for text that is not JSON, with id null', async () => {
    const { server, rejected } = await serve()
    const answer = await post(server.url, '{"jsonrpc": "2.0", "method": "echo", "id": 1')
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: RpcErrorCode.parseError, message: 'parse error' },
    })
    expect(rejected).toEqual(['parse_error'])
  })

  it.each([
    ['a non-object', 42, null],
    ['a missing jsonrpc', { method: 'echo', id: 3 }, 3],
    ['a wrong jsonrpc version', { jsonrpc: '1.0', method: 'echo', id: 3 }, 3],
    ['a non-string method', { jsonrpc: '2.0', method: 1, id: 3 }, 3],
    ['scalar params', { jsonrpc: '2.0', method: 'echo', params: 'x', id: 3 }, 3],
    ['null params', { jsonrpc: '2.0', method: 'echo', params: null, id: 3 }, 3],
    ['an object id', { jsonrpc: '2.0', method: 'echo', id: { a: 1 } }, null],
  ])('-32600 invalid request for %s (id echoed only when valid)', async (_name, body, id) => {
    const { server, rejected } = await serve()
    const { json } = await postJson(server.url, body)
    expect(json).toMatchObject({ jsonrpc: '2.0', id, error: { code: RpcErrorCode.invalidRequest } })
    expect(rejected).toEqual(['invalid_request'])
  })

  it('answers an invalid request without an id too (it is not a notification)', async () => {
    const { server } = await serve()
    const { json } = await postJson(server.url, { jsonrpc: '2.0', method: 5 })
    expect(json).toMatchObject({ id: null, error: { code: RpcErrorCode.invalidRequest } })
  })

  it.each(['nope', '__proto__', 'toString', 'constructor', 'hasOwnProperty'])(
    '-32601 method not found for %s (no prototype lookups)',
    async (method) => {
      const { server, rejected } = await serve()
      const { json } = await postJson(server.url, call(method, []))
      expect(json).toMatchObject({ id: 1, error: { code: RpcErrorCode.methodNotFound } })
      expect(rejected).toEqual(['method_not_found'])
    },
  )

  it('-32602 invalid params from invalidParams(), with its message', async () => {
    const { server, rejected } = await serve()
    const { json } = await postJson(server.url, call('add', ['a']))
    expect(json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: RpcErrorCode.invalidParams, message: 'expected [a, b] with two numbers' },
    })
    expect(rejected).toEqual(['invalid_params'])
  })

  it('passes a method-defined RpcError through with its data', async () => {
    const { server } = await serve()
    const { json } = await postJson(server.url, call('custom'))
    expect(json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32010, message: 'custom failure', data: { detail: 1 } },
    })
  })

  it.each(['fail', 'failSync', 'bigint'])(
    '-32603 internal error for %s: logged, never a stack trace or message to the client',
    async (method) => {
      const { server, logged, rejected } = await serve()
      const answer = await post(server.url, JSON.stringify(call(method)))
      expect(JSON.parse(answer.text)).toEqual({
        jsonrpc: '2.0',
        id: 1,
        error: { code: RpcErrorCode.internalError, message: 'internal error' },
      })
      expect(answer.text).not.toContain('secret')
      expect(answer.text).not.toContain(' at ')
      expect(answer.text).not.toContain('.ts')
      expect(logged).toHaveLength(1)
      expect(rejected).toEqual(['internal_error'])
    },
  )

  it('logs the internal error with its details for the operator', async () => {
    const { server, logged } = await serve()
    await postJson(server.url, call('fail'))
    const details = logged[0]?.details as { err?: unknown; method?: unknown }
    expect(details.method).toBe('fail')
    expect((details.err as Error).message).toBe(secretMessage)
  })
})

describe('RPC server: notifications and batches', () => {
  it('runs a notification and answers HTTP 204 with an empty body', async () => {
    const { server, notified } = await serve()
    const answer = await post(server.url, JSON.stringify({ jsonrpc: '2.0', method: 'notify', params: [1] }))
    expect(answer.status).toBe(204)
    expect(answer.text).toBe('')
    expect(notified).toEqual([[1]])
  })

  it('sends nothing for a notification that fails or names an unknown method', async () => {
    const { server } = await serve()
    for (const method of ['fail', 'nope']) {
      const answer = await post(server.url, JSON.stringify({ jsonrpc: '2.0', method }))
      expect(answer.status).toBe(204)
      expect(answer.text).toBe('')
    }
  })

  it('answers a batch in order, leaving out notifications', async () => {
    const { server, notified } = await serve()
    const { json } = await postJson(server.url, [
      call('add', [1, 2], 1),
      { jsonrpc: '2.0', method: 'notify', params: ['n'] },
      call('nope', [], 2),
      42,
      call('echo', ['x'], 'three'),
    ])
    expect(json).toEqual([
      { jsonrpc: '2.0', id: 1, result: 3 },
      {
        jsonrpc: '2.0',
        id: 2,
        error: { code: RpcErrorCode.methodNotFound, message: 'method not found: nope' },
      },
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: RpcErrorCode.invalidRequest, message: 'a request must be a JSON object' },
      },
      { jsonrpc: '2.0', id: 'three', result: ['x'] },
    ])
    expect(notified).toEqual([['n']])
  })

  it('runs a batch one request after another, in order', async () => {
    const { server, notified } = await serve()
    await postJson(
      server.url,
      Array.from({ length: 10 }, (_, index) => ({ jsonrpc: '2.0', method: 'notify', params: [index] })),
    )
    expect(notified).toEqual(Array.from({ length: 10 }, (_, index) => [index]))
  })

  it('answers a batch of notifications only with HTTP 204 and an empty body', async () => {
    const { server } = await serve()
    const answer = await post(
      server.url,
      JSON.stringify([
        { jsonrpc: '2.0', method: 'notify' },
        { jsonrpc: '2.0', method: 'echo', params: [] },
      ]),
    )
    expect(answer.status).toBe(204)
    expect(answer.text).toBe('')
  })

  it('-32600 for an empty batch, as one error object', async () => {
    const { server } = await serve()
    const { json } = await postJson(server.url, [])
    expect(json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: RpcErrorCode.invalidRequest, message: 'empty batch' },
    })
  })

  it('-32600 for a batch longer than batchLengthMax, running none of it', async () => {
    const { server, notified, rejected } = await serve({ limits: { batchLengthMax: 3 } })
    const { json } = await postJson(
      server.url,
      Array.from({ length: 4 }, () => ({ jsonrpc: '2.0', method: 'notify' })),
    )
    expect(json).toMatchObject({ id: null, error: { code: RpcErrorCode.invalidRequest } })
    expect(notified).toEqual([])
    expect(rejected).toEqual(['batch_too_long'])
    const ok = await postJson(
      server.url,
      Array.from({ length: 3 }, (_, index) => call('echo', [index], index)),
    )
    expect(ok.json).toHaveLength(3)
  })
})

describe('RPC server: limits', () => {
  it('refuses a body over bodyBytesMax with HTTP 413 and a JSON-RPC error', async () => {
    const { server, rejected } = await serve({ limits: { bodyBytesMax: 1_000 } })
    const body = JSON.stringify(call('echo', ['x'.repeat(2_000)]))
    const answer = await post(server.url, body)
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.text)).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: RpcErrorCode.invalidRequest },
    })
    expect(rejected).toEqual(['body_too_large'])
  })

  it('counts bytes while streaming when there is no Content-Length (chunked upload)', async () => {
    const { server, rejected } = await serve({ limits: { bodyBytesMax: 1_000 } })
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(server.url, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } })
      request.on('response', (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      })
      request.on('error', reject)
      for (let i = 0; i < 20; i++) request.write(' '.repeat(100))
      request.end('{}')
    })
    expect(status).toBe(413)
    expect(rejected).toEqual(['body_too_large'])
  })

  it('accepts a body of exactly bodyBytesMax', async () => {
    const { server } = await serve({ limits: { bodyBytesMax: 1_000 } })
    const request = JSON.stringify(call('echo', ['']))
    const body = request + ' '.repeat(1_000 - request.length)
    expect((await post(server.url, body)).status).toBe(200)
  })

  it('refuses JSON nested deeper than jsonDepthMax before parsing it', async () => {
    const { server, rejected } = await serve({ limits: { jsonDepthMax: 5 } })
    const deep = call('echo', [[[[['too deep']]]]])
    const { json } = await postJson(server.url, deep)
    expect(json).toMatchObject({ id: null, error: { code: RpcErrorCode.invalidRequest } })
    expect(rejected).toEqual(['json_too_deep'])
    const shallow = await postJson(server.url, call('echo', [[['ok']]]))
    expect(shallow.json).toMatchObject({ result: [[['ok']]] })
  })

  it('does not count brackets inside strings toward the depth', async () => {
    const { server } = await serve({ limits: { jsonDepthMax: 3 } })
    const { json } = await postJson(server.url, call('echo', ['[[[[{{{{ \\" [[[[']))
    expect(json).toMatchObject({ result: ['[[[[{{{{ \\" [[[['] })
  })

  it('survives a million nested brackets (no recursion blowup) and keeps serving', async () => {
    const { server } = await serve({ limits: { bodyBytesMax: 4_000_000 } })
    const answer = await post(server.url, '['.repeat(1_000_000) + ']'.repeat(1_000_000))
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: RpcErrorCode.invalidRequest } })
    expect((await postJson(server.url, call('echo', [1]))).json).toMatchObject({ result: [1] })
  })

  it('times a slow method out with -32000, aborting its signal', async () => {
    const { server, rejected } = await serve({ limits: { requestTimeoutMs: 200 } })
    const started = Date.now()
    const { json } = await postJson(server.url, call('slow'))
    expect(json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: RpcErrorCode.requestTimedOut, message: 'request timed out' },
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(rejected).toEqual(['timed_out'])
  })

  it('times out a method that ignores its signal, too', async () => {
    const { server } = await serve({ limits: { requestTimeoutMs: 200 } })
    const { json } = await postJson(server.url, call('sleep', { ms: 1_000 }))
    expect(json).toMatchObject({ error: { code: RpcErrorCode.requestTimedOut } })
  })

  it('applies one deadline to a whole batch', async () => {
    const { server } = await serve({ limits: { requestTimeoutMs: 300 } })
    const { json } = await postJson(server.url, [
      call('sleep', { ms: 200 }, 1),
      call('sleep', { ms: 200 }, 2),
      call('echo', [], 3),
    ])
    expect(json).toEqual([
      { jsonrpc: '2.0', id: 1, result: 200 },
      { jsonrpc: '2.0', id: 2, error: { code: RpcErrorCode.requestTimedOut, message: 'request timed out' } },
      { jsonrpc: '2.0', id: 3, error: { code: RpcErrorCode.requestTimedOut, message: 'request timed out' } },
    ])
  })

  it('drops connections beyond connectionCountMax and serves again once one closes', async () => {
    const { server, rejected } = await serve({ limits: { connectionCountMax: 2 } })
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => resolve(socket))
        socket.on('error', reject)
        sockets.push(socket)
      })
    const first = await open()
    await open()
    const third = await open()
    const closed = await new Promise<boolean>((resolve) => {
      third.on('close', () => resolve(true))
      third.on('error', () => resolve(true))
      setTimeout(() => resolve(false), 2_000)
    })
    expect(closed).toBe(true)
    expect(rejected).toContain('connection_limit')
    first.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await postJson(server.url, call('echo', [1]))).json).toMatchObject({ result: [1] })
  })
})

describe('RPC server: HTTP routes', () => {
  it('calls a method with GET /<method>?params, like CometBFT', async () => {
    const { server } = await serve()
    const response = await fetch(`${server.url}echo?height=5&hash=abcdef&quoted="12"&flag=true`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      id: -1,
      result: { height: 5, hash: 'abcdef', quoted: '12', flag: true },
    })
  })

  it('answers GET on an unknown path with 404 and a JSON-RPC error', async () => {
    const { server } = await serve()
    const response = await fetch(`${server.url}__proto__`)
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ error: { code: RpcErrorCode.methodNotFound } })
  })

  it('lists the methods on GET /', async () => {
    const { server } = await serve()
    const response = await fetch(server.url)
    expect(((await response.json()) as { methods: string[] }).methods).toContain('echo')
  })

  it('serves extra routes such as GET /metrics', async () => {
    const { server } = await serve({
      extraRoutes: {
        'GET /metrics': (_request, response) => {
          response.writeHead(200, { 'Content-Type': 'text/plain' })
          response.end('quorate_up 1\n')
        },
      },
    })
    const response = await fetch(`${server.url}metrics`)
    expect(await response.text()).toBe('quorate_up 1\n')
  })

  it('answers other HTTP methods with 405', async () => {
    const { server } = await serve()
    const response = await fetch(server.url, { method: 'PUT', body: '{}' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST')
  })

  it('answers POST to another path with 404', async () => {
    const { server } = await serve()
    expect((await post(`${server.url}echo`, JSON.stringify(call('echo')))).status).toBe(404)
  })
})

describe('RPC server: lifecycle', () => {
  it('close() aborts requests in flight and frees the port', async () => {
    const server = await RpcServer.create({
      port: 0,
      methods: {
        wait: (_params, { signal }) =>
          new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      },
      logger: { error: () => {} },
    })
    const pending = post(server.url, JSON.stringify(call('wait'))).catch(() => 'connection closed')
    await new Promise((resolve) => setTimeout(resolve, 100))
    await server.close()
    expect(await pending).toBe('connection closed')
    const again = await RpcServer.create({ port: server.port, methods: {}, logger: { error: () => {} } })
    await again.close()
  })

  it('rejects limits that are not positive integers', async () => {
    await expect(RpcServer.create({ port: 0, methods: {}, limits: { bodyBytesMax: 0 } })).rejects.toThrow(
      RangeError,
    )
  })
})
