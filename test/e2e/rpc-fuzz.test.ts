import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { propertyParameters } from '../support/arbitraries.js'
import { freeBasePort } from '../support/free-ports.js'
import { status, waitFor } from '../support/rpc-checks.js'

const methods = [
  'health',
  'status',
  'block',
  'account',
  'tx',
  'broadcast_tx_sync',
  'broadcast_tx_async',
  'broadcast_tx_commit',
  'num_unconfirmed_txs',
  'unconfirmed_txs',
  'check_tx',
  'net_info',
  'genesis',
  'genesis_chunked',
  'block_by_hash',
  'blockchain',
  'commit',
  'evidence',
  'validators',
  'consensus_state',
  'nope',
]

const hostileParams = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({
    height: fc.oneof(fc.integer(), fc.string(), fc.double(), fc.constant(null)),
    address: fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('hex')),
    ),
    hash: fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('hex')),
    ),
    tx: fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('hex')),
    ),
  }),
)

describe('hostile JSON-RPC requests against a running validator', () => {
  let testnet: RunningTestnet
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-rpc-fuzz-'))
    testnet = await startTestnet({
      dir,
      validators: 1,
      accounts: 1,
      basePort: await freeBasePort(1),
      // "Keeps committing" is read from the height: empty blocks keep it moving between transfers.
      createEmptyBlocks: true,
    })
  }, 90_000)

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers every request with a well-formed result or client error, and keeps committing', async () => {
    const rpc = testnet.info.validators[0]!.rpc
    await waitFor('the chain to commit', async () => (await status(rpc)).height >= 3)
    const before = (await status(rpc)).height
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), hostileParams, async (method, params) => {
        const response = await fetch(rpc, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 7,
            method,
            ...(params === undefined ? {} : { params }),
          }),
        })
        const body = (await response.json()) as {
          jsonrpc: string
          id: unknown
          result?: unknown
          error?: { code: number }
        }
        expect(body.jsonrpc).toBe('2.0')
        expect(body.id).toBe(7)
        // Bad input is the client's error, never the server's: no -32603 (or a crash) for any params.
        if (body.error !== undefined) expect([-32601, -32602, -32600, -32001]).toContain(body.error.code)
        else expect(body).toHaveProperty('result')
      }),
      propertyParameters(300),
    )
    await waitFor('more blocks after the fuzzing', async () => (await status(rpc)).height >= before + 3)
  }, 120_000)
})
