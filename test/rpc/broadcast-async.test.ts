// broadcast_tx_async answers before admission completes; the admissions it leaves running are bounded (past the
// bound: code 16 and HTTP 503, as a full mempool), their failures are reported and never unhandled, and closing
// waits for them.
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { decodeTx, encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { AdmissionCode, type AdmissionResult } from '../../node/mempool/admission.js'
import type { RpcBackend } from '../../node/rpc/backend.js'
import { BackgroundAdmissions } from '../../node/rpc/background-admissions.js'
import type { RpcRejectReason } from '../../node/rpc/dispatch.js'
import { nodeRpcMethods } from '../../node/rpc/methods.js'
import { overloadedRetryAfterSeconds, RpcServer } from '../../node/rpc/server.js'
import { Prng } from '../sim/prng.js'
import { simChain } from '../sim/sim-genesis.js'

const chain = simChain(new Prng(41), 1, 2)
const transfer = (nonce: number) =>
  encodeTx(
    buildTransfer({
      chainId: chain.genesis.chainId,
      keyPair: chain.clientKeys[0]!,
      to: chain.clientKeys[1]!.publicKey,
      amount: 1n,
      nonce,
    }),
  )

const admitted: AdmissionResult = { hashHex: null, code: AdmissionCode.ok, log: '', tx: null }

/** An admission the test finishes by hand. */
function deferredAdmissions() {
  const pending: Array<{
    bytes: Uint8Array
    finish: (result: AdmissionResult) => void
    fail: (e: Error) => void
  }> = []
  const admit = (bytes: Uint8Array) =>
    new Promise<AdmissionResult>((resolve, reject) => pending.push({ bytes, finish: resolve, fail: reject }))
  return { pending, admit }
}

/** The RPC methods over a backend that has only a genesis and background admissions. */
function asyncBackend(background: BackgroundAdmissions): RpcBackend {
  return {
    genesis: chain.genesis,
    submitTxInBackground: (bytes: Uint8Array) => background.start(bytes),
    reportCorruption: () => {
      throw new Error('not used')
    },
  } as unknown as RpcBackend
}

const context = () => {
  const overloaded: string[] = []
  return {
    overloaded,
    context: { signal: new AbortController().signal, overloaded: () => overloaded.push('x') },
  }
}

let server: RpcServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('broadcast_tx_async', () => {
  it('answers with the hash while admission is still under way', async () => {
    const { pending, admit } = deferredAdmissions()
    const background = new BackgroundAdmissions({ admit, onFailed: () => {} })
    const methods = nodeRpcMethods(asyncBackend(background))
    const bytes = transfer(0)
    const { context: ctx } = context()
    const answer = await methods.broadcast_tx_async!({ tx: toHex(bytes) }, ctx)
    expect(answer).toEqual({ hash: toHex(txHash(decodeTx(bytes))), code: 0, log: '' })
    // The admission started with the very bytes, and has not finished.
    expect(pending).toHaveLength(1)
    expect(pending[0]!.bytes).toEqual(bytes)
    expect(background.inFlight).toBe(1)
    pending[0]!.finish(admitted)
    await background.close()
    expect(background.inFlight).toBe(0)
  })

  it('past the bound on admissions under way: code 16, HTTP 503 with Retry-After, counted as overloaded', async () => {
    const { pending, admit } = deferredAdmissions()
    const background = new BackgroundAdmissions({ admit, inFlightMax: 2, onFailed: () => {} })
    const rejected: RpcRejectReason[] = []
    server = await RpcServer.create({
      port: 0,
      methods: nodeRpcMethods(asyncBackend(background)),
      onRejected: (reason) => rejected.push(reason),
      logger: { error: () => {} },
    })
    const send = (nonce: number) =>
      fetch(server!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: nonce,
          method: 'broadcast_tx_async',
          params: [toHex(transfer(nonce))],
        }),
      })
    expect((await send(0)).status).toBe(200)
    expect((await send(1)).status).toBe(200)
    const refused = await send(2)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe(String(overloadedRetryAfterSeconds))
    expect(((await refused.json()) as { result: { code: number; log: string } }).result).toEqual({
      hash: toHex(txHash(decodeTx(transfer(2)))),
      code: AdmissionCode.mempoolFull,
      log: 'too many transactions are being admitted; send it again later',
    })
    expect(rejected).toEqual(['overloaded'])
    // Once one finishes there is room again.
    pending[0]!.finish(admitted)
    await waitUntil(() => background.inFlight === 1)
    expect((await send(3)).status).toBe(200)
    for (const admission of pending.slice(1)) admission.finish(admitted)
    await background.close()
  })
})

describe('background admissions', () => {
  it('a failed admission (rejected or thrown) is reported once, and never rejects anything', async () => {
    const failures: unknown[] = []
    const background = new BackgroundAdmissions({
      admit: async (bytes) => {
        if (bytes[0] === 1) throw new Error('journal write failed')
        throw new TypeError('thrown before any await')
      },
      onFailed: (error) => failures.push(error),
    })
    expect(background.start(Uint8Array.of(1))).toBe(true)
    expect(background.start(Uint8Array.of(2))).toBe(true)
    await background.close()
    expect(failures.map((error) => (error as Error).message)).toEqual([
      'journal write failed',
      'thrown before any await',
    ])
  })

  it('a report that throws is swallowed, not an unhandled rejection', async () => {
    const background = new BackgroundAdmissions({
      admit: () => Promise.reject(new Error('failed')),
      onFailed: () => {
        throw new Error('the logger failed too')
      },
    })
    expect(background.start(Uint8Array.of(1))).toBe(true)
    await background.close()
  })

  it('close() waits for admissions under way and refuses new ones', async () => {
    const { pending, admit } = deferredAdmissions()
    const background = new BackgroundAdmissions({ admit, onFailed: () => {} })
    background.start(Uint8Array.of(1))
    let closed = false
    const closing = background.close().then(() => {
      closed = true
    })
    expect(background.start(Uint8Array.of(2))).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(closed).toBe(false)
    pending[0]!.fail(new Error('late failure'))
    await closing
    expect(closed).toBe(true)
  })

  it('refuses a bound that is not a positive integer', () => {
    for (const inFlightMax of [0, -1, 1.5]) {
      expect(
        () => new BackgroundAdmissions({ admit: async () => admitted, inFlightMax, onFailed: () => {} }),
      ).toThrow(RangeError)
    }
  })
})

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  expect(condition()).toBe(true)
}
