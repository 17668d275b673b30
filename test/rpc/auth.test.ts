import { afterEach, describe, expect, it } from 'vitest'
import { RpcServer } from '../../node/rpc/server.js'

describe('RPC bearer token', () => {
  let server: RpcServer | undefined
  afterEach(async () => {
    await server?.close()
  })

  const call = (url: string, authorization?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'health' }),
    })

  it('answers only requests that carry the configured token, and counts the others', async () => {
    const rejected: string[] = []
    const token = 'a-long-enough-test-token'
    server = await RpcServer.create({
      port: 0,
      methods: { health: async () => ({}) },
      bearerToken: token,
      onRejected: (reason) => rejected.push(reason),
    })
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token.replace('a', 'b')}`, token]) {
      const response = await call(server.url, authorization)
      expect(response.status, String(authorization)).toBe(401)
      expect(response.headers.get('www-authenticate')).toBe('Bearer')
      const body = (await response.json()) as { error?: { code: number; message: string } }
      expect(body.error).toEqual({ code: -32600, message: 'unauthorized' })
    }
    expect(rejected).toEqual(['unauthorized', 'unauthorized', 'unauthorized', 'unauthorized'])
    const ok = await call(server.url, `Bearer ${token}`)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} })
  })

  it('without a token configured, answers everyone (it listens on 127.0.0.1 by default)', async () => {
    server = await RpcServer.create({ port: 0, methods: { health: async () => ({}) } })
    expect(server.host).toBe('127.0.0.1')
    expect((await call(server.url)).status).toBe(200)
  })
})
