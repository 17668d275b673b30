// JSON-RPC over WebSocket (/websocket): subscriptions to committed blocks and to one transaction's commit,
// ordinary methods, and the bounds (sockets, subscriptions per socket, a slow consumer closed with a reason).
// The server and the ws client are real; the commit feed is driven by the test (the validator's is
// test/e2e/client-sdk.test.ts's business).

import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { toHex } from '../../crypto/hex.js'
import { generateKeyPair } from '../../crypto/index.js'
import { txHash } from '../../ledger/hashing.js'
import { type Block, type Receipt, ReceiptCode } from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import type { CommittedBlock } from '../../node/consensus/types.js'
import type { RpcRejectReason } from '../../node/rpc/dispatch.js'
import { type RpcLimits, RpcServer } from '../../node/rpc/server.js'
import type { RpcEventSource } from '../../node/rpc/websocket.js'

let server: RpcServer | undefined
const clients: WebSocket[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate()
  await server?.close()
  server = undefined
})

const zero = new Uint8Array(32)
const sender = generateKeyPair()
const transfer = (nonce: number) =>
  buildTransfer({ chainId: 'ws-test', keyPair: sender, to: zero, amount: 1n, nonce })

function committedBlock(height: number, txs = [transfer(height)]): CommittedBlock {
  const block: Block = {
    header: {
      height,
      view: height,
      parentHash: zero,
      justify: { view: height - 1, blockHash: zero, signers: [], signatures: [] },
      proposer: height % 4,
      timestampMs: 1_000 * height,
      txRoot: zero,
      stateRoot: zero,
    },
    txs,
  }
  const hash = new Uint8Array(32).fill(height % 256)
  return { block, hash, qc: { view: height, blockHash: hash, signers: [], signatures: [] } }
}

/** A commit feed the test drives, and receipts it answers. */
function feed() {
  const listeners = new Set<(committed: CommittedBlock) => void>()
  const receipts = new Map<string, Receipt>()
  const source: RpcEventSource = {
    onCommitted: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    receipt: async (hash) => receipts.get(toHex(hash)),
  }
  const commit = (committed: CommittedBlock) => {
    for (const listener of listeners) listener(committed)
  }
  return { source, commit, receipts, listeners }
}

async function serve(limits: Partial<RpcLimits> = {}) {
  const events = feed()
  const rejected: RpcRejectReason[] = []
  server = await RpcServer.create({
    port: 0,
    methods: { status: async () => ({ height: 7 }) },
    events: events.source,
    limits,
    onRejected: (reason) => rejected.push(reason),
    logger: { error: () => {} },
  })
  return { ...events, rejected, url: `${server.url.replace('http', 'ws')}websocket` }
}

/** A connected client whose incoming messages are queued for `next()`. */
async function connect(url: string) {
  const client = new WebSocket(url)
  clients.push(client)
  const queue: unknown[] = []
  const waiting: Array<(message: unknown) => void> = []
  client.on('message', (data) => {
    const message = JSON.parse(String(data))
    const waiter = waiting.shift()
    if (waiter !== undefined) waiter(message)
    else queue.push(message)
  })
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve())
    client.once('error', reject)
  })
  const next = () =>
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers of several shapes, each checked by the assertions
    new Promise<any>((resolve) => {
      const queued = queue.shift()
      if (queued !== undefined) resolve(queued)
      else waiting.push(resolve)
    })
  const call = async (id: number, method: string, params: unknown) => {
    client.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    return next()
  }
  return { client, next, call, queue }
}

describe('JSON-RPC over WebSocket', () => {
  it('delivers every committed block to a NewBlock subscriber, as a response to its subscribe id', async () => {
    const { url, commit } = await serve()
    const { call, next } = await connect(url)
    expect(await call(5, 'subscribe', { query: "tm.event='NewBlock'" })).toEqual({
      jsonrpc: '2.0',
      id: 5,
      result: {},
    })
    commit(committedBlock(1))
    commit(committedBlock(2))
    const first = await next()
    expect(first).toMatchObject({
      id: 5,
      result: { query: "tm.event='NewBlock'", data: { type: 'new_block', value: { height: 1, num_txs: 1 } } },
    })
    expect((await next()).result.data.value.height).toBe(2)
  })

  it("tells a transaction's commit once, with its receipt, then ends that subscription", async () => {
    const { url, commit, receipts } = await serve()
    const { call, next, queue } = await connect(url)
    const tx = transfer(9)
    const hashHex = toHex(txHash(tx))
    receipts.set(hashHex, { txHash: txHash(tx), code: ReceiptCode.ok, log: '' })
    const query = `tm.event='Tx' AND tx.hash='${hashHex.toUpperCase()}'`
    expect((await call(1, 'subscribe', [query])).result).toEqual({})
    commit(committedBlock(3)) // another transaction: nothing
    commit(committedBlock(4, [transfer(1), tx]))
    expect(await next()).toMatchObject({
      id: 1,
      result: { query, data: { type: 'tx', value: { hash: hashHex, height: 4, index: 1, code: 0 } } },
    })
    commit(committedBlock(5, [tx]))
    expect((await call(2, 'status', {})).result).toEqual({ height: 7 })
    expect(queue).toEqual([])
  })

  it('answers ordinary methods, unsubscribes, and refuses what it does not support, saying what is', async () => {
    const { url, commit } = await serve()
    const { call, queue } = await connect(url)
    expect((await call(1, 'status', {})).result).toEqual({ height: 7 })
    const bad = await call(2, 'subscribe', { query: "tm.event='Vote'" })
    expect(bad.error.code).toBe(-32602)
    expect(bad.error.message).toContain("tm.event='NewBlock'")
    expect((await call(3, 'unsubscribe', { query: "tm.event='NewBlock'" })).error.code).toBe(-32602)
    await call(4, 'subscribe', { query: "tm.event='NewBlock'" })
    expect((await call(5, 'unsubscribe', { query: "tm.event='NewBlock'" })).result).toEqual({})
    commit(committedBlock(1))
    expect((await call(6, 'status', {})).id).toBe(6)
    expect(queue).toEqual([])
  })

  it('bounds sockets and subscriptions per socket', async () => {
    const { url, rejected } = await serve({ webSocketCountMax: 2, subscriptionsPerSocketMax: 2 })
    const { call } = await connect(url)
    await connect(url)
    const third = new WebSocket(url)
    third.on('error', () => {}) // refused: no connection to close later
    clients.push(third)
    const status = await new Promise<number>((resolve) =>
      third.once('unexpected-response', (_r, res) => resolve(res.statusCode ?? 0)),
    )
    expect(status).toBe(503)
    expect(rejected).toContain('ws_socket_limit')
    const queries = [0, 1, 2].map((i) => `tm.event='Tx' AND tx.hash='${String(i).repeat(64)}'`)
    expect((await call(1, 'subscribe', { query: queries[0] })).result).toEqual({})
    expect((await call(2, 'subscribe', { query: queries[1] })).result).toEqual({})
    const refused = await call(3, 'subscribe', { query: queries[2] })
    expect(refused.error).toMatchObject({ code: -32002, message: 'at most 2 subscriptions per connection' })
  })

  it('closes a subscriber that does not read its events, with the reason, instead of buffering them', async () => {
    const { url, commit, rejected, listeners } = await serve({ socketBufferedBytesMax: 64 * 1024 })
    const { client, call } = await connect(url)
    await call(1, 'subscribe', { query: "tm.event='NewBlock'" })
    client.pause()
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      client.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    )
    // Until the kernel's socket buffers are full nothing waits in the server; then events pile up there.
    for (let height = 1; height <= 100_000 && !rejected.includes('ws_slow_consumer'); height++) {
      commit(committedBlock(height, []))
      if (height % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    expect(rejected).toContain('ws_slow_consumer')
    client.resume()
    expect(await closed).toEqual({ code: 1008, reason: 'slow consumer: more than 65536 bytes unread' })
    expect(listeners.size).toBe(1) // the server still listens for the others
  })
})
