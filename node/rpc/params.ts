import { fromHex, HexError } from '../../crypto/hex.js'
import { invalidParams } from './errors.js'

/**
 * Narrowing of JSON-RPC params: every failure is a -32602 with a message naming the field. Params come as an
 * object (by name) or, as JSON-RPC 2.0 allows, as an array in the method's documented order (`order`, the names
 * the array's items take); a method without parameters takes an empty array or none.
 */
export function paramsObject(params: unknown, order: readonly string[] = []): Record<string, unknown> {
  if (params === undefined || params === null) return {}
  if (Array.isArray(params)) return positionalParams(params, order)
  if (typeof params !== 'object') throw invalidParams(`params must be an object${orderText(order)}`)
  return params as Record<string, unknown>
}

function positionalParams(params: readonly unknown[], order: readonly string[]): Record<string, unknown> {
  if (params.length > order.length) {
    throw invalidParams(
      order.length === 0
        ? 'params: this method takes no parameters'
        : `params: at most ${order.length} positional parameters, in the order [${order.join(', ')}]; ` +
            `got ${params.length}`,
    )
  }
  return Object.fromEntries(params.map((value, index) => [order[index] as string, value]))
}

function orderText(order: readonly string[]): string {
  return order.length === 0 ? '' : ` or an array in the order [${order.join(', ')}]`
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

/** A page length from 1 to `max`, `fallback` when left out. */
export function limitParam(
  params: Record<string, unknown>,
  name: string,
  fallback: number,
  max: number,
): number {
  const value = heightParam(params, name) ?? fallback
  if (value < 1 || value > max)
    throw invalidParams(`${name}: expected an integer from 1 to ${max}, got ${value}`)
  return value
}

/** true or false, as a JSON boolean or the string "true" / "false". */
export function booleanParam(params: Record<string, unknown>, name: string): boolean | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (value === true || value === 'true') return true
  if (value === false || value === 'false') return false
  throw invalidParams(`${name}: expected true or false`)
}
