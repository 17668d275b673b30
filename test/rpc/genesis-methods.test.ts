// A genesis too large for one answer (a genesis file may hold 100,000 accounts): `genesis` refuses it with -32003
// naming genesis_chunked, and the chunks genesis_chunked answers put together are the genesis file, byte for byte.

import { describe, expect, it } from 'vitest'
import { formatGenesis } from '../../ledger/genesis.js'
import { RpcError, RpcErrorCode } from '../../node/rpc/errors.js'
import { genesisChunkBytes, genesisRpcBytesMax, genesisRpcMethods } from '../../node/rpc/genesis-methods.js'
import { Prng } from '../sim/prng.js'
import { simChain } from '../sim/sim-genesis.js'

const context = { signal: new AbortController().signal, overloaded: () => {} }

describe('a large genesis', () => {
  const small = simChain(new Prng(3), 4, 1).genesis
  const prng = new Prng(4)
  // About 130 bytes of JSON per account: 40,000 of them are well over 4 MiB.
  const genesis = {
    ...small,
    accounts: Array.from({ length: 40_000 }, () => ({
      address: Uint8Array.from({ length: 32 }, () => prng.int(0, 255)),
      balance: 1_000_000n,
    })),
  }
  const text = Buffer.from(formatGenesis(genesis), 'utf8')
  const methods = genesisRpcMethods(genesis)

  it('genesis answers -32003 naming genesis_chunked', async () => {
    expect(text.length).toBeGreaterThan(genesisRpcBytesMax)
    const refusal = await methods.genesis!({}, context).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(RpcError)
    expect((refusal as RpcError).code).toBe(RpcErrorCode.resultTooLarge)
    expect((refusal as RpcError).message).toMatch(/read it with genesis_chunked$/)
  })

  it('genesis_chunked: every chunk at most 1 MiB, and together the genesis file', async () => {
    const first = (await methods.genesis_chunked!({ chunk: 0 }, context)) as { total: number; data: string }
    expect(first.total).toBe(Math.ceil(text.length / genesisChunkBytes))
    const parts: Buffer[] = []
    for (let chunk = 0; chunk < first.total; chunk++) {
      const answer = (await methods.genesis_chunked!([chunk], context)) as { chunk: number; data: string }
      expect(answer.chunk).toBe(chunk)
      const bytes = Buffer.from(answer.data, 'hex')
      expect(bytes.length).toBeLessThanOrEqual(genesisChunkBytes)
      parts.push(bytes)
    }
    expect(Buffer.concat(parts).equals(text)).toBe(true)
  })

  it('a small genesis is answered whole', async () => {
    const answer = (await genesisRpcMethods(small).genesis!({}, context)) as { genesis: unknown }
    expect(answer.genesis).toEqual(JSON.parse(formatGenesis(small)))
  })
})
