import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RpcError, RpcErrorCode } from '../../node/rpc/errors.js'
import { heightParam, hexParam, paramsObject } from '../../node/rpc/params.js'
import { propertyParameters } from '../support/arbitraries.js'

/** Any JSON value, nested a little, with the strings and numbers hostile clients like to send. */
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      2 ** 53,
      -(2 ** 53),
      Number.MAX_VALUE,
      '',
      '0x',
      'zz',
      '00',
    ),
    fc.string(),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('hex')),
    fc.double(),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom('height', 'hash', 'address', 'tx', '__proto__', 'constructor', 'x'),
      tie('value'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value

/** Validation either returns a value of the promised shape or throws -32602; nothing else, ever. */
function onlyInvalidParams(run: () => unknown): unknown {
  try {
    return run()
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError)
    expect((error as RpcError).code).toBe(RpcErrorCode.invalidParams)
    return undefined
  }
}

describe('RPC parameter validation under fuzzing', () => {
  it('params objects, hex fields and heights accept only what they promise and reject the rest with -32602', () => {
    fc.assert(
      fc.property(hostileJson, fc.constantFrom(undefined, 32), (params, bytes) => {
        const object = onlyInvalidParams(() => paramsObject(params)) as Record<string, unknown> | undefined
        if (object === undefined) return
        const hex = onlyInvalidParams(() => hexParam(object, 'hash', bytes))
        if (hex !== undefined) {
          expect(hex).toBeInstanceOf(Uint8Array)
          if (bytes !== undefined) expect((hex as Uint8Array).length).toBe(bytes)
        }
        const height = onlyInvalidParams(() => heightParam(object, 'height'))
        if (height !== undefined) expect(Number.isSafeInteger(height) && (height as number) >= 0).toBe(true)
      }),
      propertyParameters(2_000),
    )
  })
})
