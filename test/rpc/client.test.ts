import { afterEach, describe, expect, it } from 'vitest'
import { RpcCallError, RpcTransportError, rpcCall } from '../../node/rpc/client.js'
import { RpcErrorCode } from '../../node/rpc/errors.js'
import { startTestServer, type TestServer } from './helpers.js'

let current: TestServer | undefined

afterEach(async () => {
  await current?.server.close()
  current = undefined
})

describe('rpcCall', () => {
  it('returns the result', async () => {
    current = await startTestServer()
    expect(await rpcCall<number>(current.server.url, 'add', [20, 22])).toBe(42)
  })

  it("throws RpcCallError with the server's code and message", async () => {
    current = await startTestServer()
    const error = await rpcCall(current.server.url, 'add', ['x']).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RpcCallError)
    expect(error).toMatchObject({
      code: RpcErrorCode.invalidParams,
      message: 'expected [a, b] with two numbers',
    })
    await expect(rpcCall(current.server.url, 'custom', {})).rejects.toMatchObject({
      code: -32010,
      data: { detail: 1 },
    })
  })

  it('throws RpcTransportError when nothing listens', async () => {
    current = await startTestServer()
    const url = current.server.url
    await current.server.close()
    current = undefined
    await expect(rpcCall(url, 'echo', [])).rejects.toThrow(RpcTransportError)
    await expect(rpcCall(url, 'echo', [])).rejects.toThrow(/cannot reach the RPC server \(ECONNREFUSED\)/)
  })

  it('throws RpcTransportError after timeoutMs', async () => {
    current = await startTestServer()
    await expect(rpcCall(current.server.url, 'slow', {}, { timeoutMs: 100 })).rejects.toThrow(
      /no answer to slow within 100 ms/,
    )
  })

  it('passes the caller abort through as is', async () => {
    current = await startTestServer()
    const controller = new AbortController()
    const pending = rpcCall(current.server.url, 'slow', {}, { signal: controller.signal })
    controller.abort(new Error('caller gave up'))
    await expect(pending).rejects.toThrow('caller gave up')
  })
})
