// Push-back: a transaction refused because the mempool is full is answered with its admission code (16) and,
// when it is the HTTP call's only request, with HTTP 503 and Retry-After, so clients and proxies that only read
// the status back off too. The refusal is counted as 'overloaded'.
import { afterEach, describe, expect, it } from 'vitest'
import { AdmissionCode, type AdmissionResult } from '../../node/mempool/admission.js'
import type { RpcBackend } from '../../node/rpc/backend.js'
import type { RpcRejectReason } from '../../node/rpc/dispatch.js'
import { nodeRpcMethods } from '../../node/rpc/methods.js'
import { overloadedRetryAfterSeconds, RpcServer } from '../../node/rpc/server.js'

let server: RpcServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The RPC methods over a backend whose mempool answers `code` to every submission (nothing else is used). */
async function serveAdmission(
  code: AdmissionResult['code'],
): Promise<{ url: string; rejected: RpcRejectReason[] }> {
  const unused = () => {
    throw new Error('not used by broadcast_tx_* and check_tx in this test')
  }
  const answer = async () => ({
    hashHex: null,
    code,
    log: code === AdmissionCode.ok ? '' : 'mempool full',
    tx: null,
  })
  const backend = {
    submitTx: answer,
    checkTx: answer,
    reportCorruption: unused,
  } as unknown as RpcBackend
  const rejected: RpcRejectReason[] = []
  server = await RpcServer.create({
    port: 0,
    methods: nodeRpcMethods(backend),
    onRejected: (reason) => rejected.push(reason),
    logger: { error: () => {} },
  })
  return { url: server.url, rejected }
}

async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    json: await response.json(),
  }
}

const broadcast = (method: string, id: number) => ({ jsonrpc: '2.0', id, method, params: { tx: '00' } })

describe('RPC push-back when the mempool is full', () => {
  // broadcast_tx_async answers before admission: its push-back is tested in broadcast-async.test.ts.
  for (const method of ['broadcast_tx_sync', 'check_tx', 'broadcast_tx_commit']) {
    it(`${method}: HTTP 503 with Retry-After, the admission code in the answer, counted`, async () => {
      const { url, rejected } = await serveAdmission(AdmissionCode.mempoolFull)
      const answer = await post(url, broadcast(method, 1))
      expect(answer.status).toBe(503)
      expect(answer.retryAfter).toBe(String(overloadedRetryAfterSeconds))
      expect(answer.json).toEqual({
        jsonrpc: '2.0',
        id: 1,
        result: { hash: null, code: AdmissionCode.mempoolFull, log: 'mempool full' },
      })
      expect(rejected).toEqual(['overloaded'])
    })
  }

  it('GET /broadcast_tx_sync?tx=… is answered 503 as well', async () => {
    const { url } = await serveAdmission(AdmissionCode.mempoolFull)
    const response = await fetch(new URL('/broadcast_tx_sync?tx=0x00', url))
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe(String(overloadedRetryAfterSeconds))
  })

  it('a batch keeps HTTP 200: each answer says what became of its request', async () => {
    const { url } = await serveAdmission(AdmissionCode.mempoolFull)
    const answer = await post(url, [
      broadcast('broadcast_tx_sync', 1),
      { jsonrpc: '2.0', id: 2, method: 'health' },
    ])
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual([
      { jsonrpc: '2.0', id: 1, result: { hash: null, code: AdmissionCode.mempoolFull, log: 'mempool full' } },
      { jsonrpc: '2.0', id: 2, result: {} },
    ])
  })

  it('any other admission answer stays HTTP 200 and is not counted', async () => {
    const { url, rejected } = await serveAdmission(AdmissionCode.badNonce)
    const answer = await post(url, broadcast('broadcast_tx_sync', 1))
    expect(answer.status).toBe(200)
    expect(answer.retryAfter).toBeNull()
    expect(rejected).toEqual([])
  })
})
