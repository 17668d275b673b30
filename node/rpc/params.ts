import { fromHex, HexError } from '../../crypto/hex.js'
import { invalidParams } from './errors.js'

/** Narrowing of JSON-RPC params: every failure is a -32602 with a message naming the field. */
export function paramsObject(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {}
  if (typeof params !== 'object' || Array.isArray(params)) throw invalidParams('params must be an object')
  return params as Record<string, unknown>
}

export function hexParam(params: Record<string, unknown>, name: string, bytesExpected?: number): Uint8Array {
  const value = params[name]
  if (typeof value !== 'string') throw invalidParams(`${name}: expected a hex string`)
  try {
    return fromHex(value.startsWith('0x') ? value.slice(2) : value, bytesExpected)
  } catch (error) {
    if (error instanceof HexError) throw invalidParams(`${name}: ${error.message}`)
    throw error
  }
}

/** A non-negative safe integer, given as a JSON number or a decimal string (CometBFT clients send strings). */
export function heightParam(params: Record<string, unknown>, name: string): number | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  const number = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    throw invalidParams(`${name}: expected a non-negative integer`)
  }
  return number
}
