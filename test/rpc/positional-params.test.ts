// Params by position (a JSON array, as JSON-RPC 2.0 allows): every method with params takes them in its documented
// order and answers as it does by name; more items than the method has is -32602 saying the order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RpcErrorCode } from '../../node/rpc/errors.js'
import { paramsObject } from '../../node/rpc/params.js'
import { invalidParamsMessage } from './helpers.js'
import {
  rpcError,
  type SignedTransfer,
  type SingleValidatorChain,
  startSingleValidator,
} from './single-validator.js'

let node: SingleValidatorChain
let committed: SignedTransfer

beforeAll(async () => {
  node = await startSingleValidator(37, 2)
  committed = node.transfer(0, 0)
  await node.commitTransfers([committed, node.transfer(1, 0)])
}, 60_000)

afterAll(async () => {
  await node?.close()
})

/** Each method's params by name and the same by position (docs/rpc.md's order). */
function pairs(): Array<{ method: string; named: Record<string, unknown>; positional: unknown[] }> {
  const address = Buffer.from(node.chain.clientKeys[0]!.publicKey).toString('hex')
  return [
    { method: 'block', named: { height: 1 }, positional: [1] },
    { method: 'commit', named: { height: 1 }, positional: [1] },
    { method: 'blockchain', named: { minHeight: 1, maxHeight: 2 }, positional: [1, 2] },
    { method: 'tx', named: { hash: committed.hash, prove: true }, positional: [committed.hash, true] },
    { method: 'tx', named: { hash: committed.hash }, positional: [committed.hash] },
    { method: 'account', named: { address }, positional: [address] },
    { method: 'unconfirmed_txs', named: { limit: 5 }, positional: [5] },
    { method: 'evidence', named: { offset: 0, limit: 10 }, positional: [0, 10] },
    { method: 'genesis_chunked', named: { chunk: 0 }, positional: [0] },
    { method: 'check_tx', named: { tx: node.transfer(1, 1).hex }, positional: [node.transfer(1, 1).hex] },
    { method: 'status', named: {}, positional: [] },
  ]
}

describe('positional params', () => {
  it('every method answers an array in its documented order as it answers the same params by name', async () => {
    for (const { method, named, positional } of pairs()) {
      const byName = await node.call<Record<string, unknown>>(method, named)
      const byPosition = await node.call<Record<string, unknown>>(method, positional)
      if (method === 'status') expect(Object.keys(byPosition)).toEqual(Object.keys(byName))
      else expect(byPosition, method).toEqual(byName)
    }
    // block_by_hash too, with the hash `block` answers.
    const block = await node.call<{ hash: string }>('block', [1])
    expect(await node.call('block_by_hash', [block.hash])).toEqual(block)
  })

  it('fewer items leave the rest out (defaults apply)', async () => {
    const latest = await node.call<{ height: number }>('block', {})
    expect(await node.call('block', [])).toEqual(latest)
  })

  it('more items than the method takes: -32602 saying the order', async () => {
    expect(await rpcError(node.call('block', [1, 2]))).toEqual({
      code: RpcErrorCode.invalidParams,
      message: 'params: at most 1 positional parameters, in the order [height]; got 2',
    })
    expect(await rpcError(node.call('tx', [committed.hash, true, 'extra']))).toEqual({
      code: RpcErrorCode.invalidParams,
      message: 'params: at most 2 positional parameters, in the order [hash, prove]; got 3',
    })
  })

  it('an item of the wrong kind is named by its parameter name', async () => {
    expect(await rpcError(node.call('blockchain', [1, 'x']))).toEqual({
      code: RpcErrorCode.invalidParams,
      message: 'maxHeight: expected a non-negative integer',
    })
  })
})

describe('paramsObject', () => {
  it('maps an array onto the names in order; absent and null params are empty', () => {
    expect(paramsObject(['a', 2], ['x', 'y'])).toEqual({ x: 'a', y: 2 })
    expect(paramsObject([], ['x'])).toEqual({})
    expect(paramsObject(undefined, ['x'])).toEqual({})
    expect(paramsObject(null)).toEqual({})
    expect(paramsObject({ x: 1 }, ['x'])).toEqual({ x: 1 })
  })

  it('says what it expected when params are neither', () => {
    expect(invalidParamsMessage(() => paramsObject('text', ['height']))).toBe(
      'params must be an object or an array in the order [height]',
    )
    expect(invalidParamsMessage(() => paramsObject(5))).toBe('params must be an object')
    expect(invalidParamsMessage(() => paramsObject([1]))).toBe('params: this method takes no parameters')
  })
})
