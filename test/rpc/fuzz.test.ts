// Whatever bytes arrive, the server answers with well-formed JSON-RPC (or 204 for notifications only),
// never crashes, never leaks an internal message, and keeps serving. fast-check prints the seed and the
// shrunk counterexample of any failure; rerun with { seed, path } to reproduce it.

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isResponse, post, postJson, secretMessage, startTestServer, type TestServer } from './helpers.js'

let testServer: TestServer

beforeAll(async () => {
  testServer = await startTestServer({
    limits: { bodyBytesMax: 64 * 1024, jsonDepthMax: 8, batchLengthMax: 20 },
  })
})

afterAll(async () => {
  await testServer.server.close()
})

async function expectWellFormedAnswer(body: string | Uint8Array): Promise<void> {
  const answer = await post(testServer.server.url, body)
  if (answer.status === 204) {
    expect(answer.text).toBe('')
    return
  }
  expect([200, 413]).toContain(answer.status)
  expect(answer.text).not.toContain(secretMessage)
  const json: unknown = JSON.parse(answer.text)
  if (Array.isArray(json)) {
    expect(json.length).toBeGreaterThan(0)
    for (const item of json) expect(isResponse(item)).toBe(true)
  } else {
    expect(isResponse(json)).toBe(true)
  }
}

const methodName = fc.oneof(
  fc.constantFrom(
    'echo',
    'add',
    'nothing',
    'notify',
    'fail',
    'failSync',
    'custom',
    'bigint',
    'nope',
    '__proto__',
  ),
  fc.string(),
)
const anyId = fc.oneof(
  fc.integer(),
  fc.string(),
  fc.constant(null),
  fc.double(),
  fc.jsonValue(),
  fc.constant(undefined),
)
const requestLike = fc
  .record(
    {
      jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue()),
      method: fc.oneof(methodName, fc.jsonValue()),
      params: fc.oneof(
        fc.array(fc.jsonValue(), { maxLength: 4 }),
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.jsonValue(),
      ),
      id: anyId,
    },
    { requiredKeys: [] },
  )
  .map((request) => JSON.stringify(request))

describe('RPC server under random input', () => {
  it('answers random bytes with a well-formed JSON-RPC response', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2_048 }), expectWellFormedAnswer), {
      numRuns: 300,
    })
  })

  it('answers random JSON values with a well-formed JSON-RPC response', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 12 }).map((value) => JSON.stringify(value)),
        expectWellFormedAnswer,
      ),
      { numRuns: 300 },
    )
  })

  it('answers random request-like objects and batches with well-formed JSON-RPC responses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          requestLike,
          fc.array(requestLike, { maxLength: 25 }).map((items) => `[${items.join(',')}]`),
        ),
        expectWellFormedAnswer,
      ),
      { numRuns: 300 },
    )
  })

  it('answers mutated valid requests (truncated, bytes flipped) with well-formed responses', async () => {
    const valid = JSON.stringify({ jsonrpc: '2.0', method: 'add', params: [1, 2], id: 1 })
    await fc.assert(
      fc.asyncProperty(
        fc.nat(valid.length),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        async (cut, flips) => {
          const bytes = new TextEncoder().encode(valid.slice(0, cut))
          for (const [position, value] of flips) if (position < bytes.length) bytes[position] = value
          await expectWellFormedAnswer(bytes)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('still serves normally after all of the above', async () => {
    const { json } = await postJson(testServer.server.url, {
      jsonrpc: '2.0',
      method: 'add',
      params: [2, 2],
      id: 9,
    })
    expect(json).toEqual({ jsonrpc: '2.0', id: 9, result: 4 })
  })
})
