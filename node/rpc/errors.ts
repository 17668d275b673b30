// JSON-RPC 2.0 error codes and the error a method throws to report one to its caller.

export const RpcErrorCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Implementation-defined server error (-32000 to -32099): the request ran past its time limit. */
  requestTimedOut: -32000,
  /** A WebSocket connection holds as many subscriptions as it may. */
  tooManySubscriptions: -32002,
  /** The result would be too large; the message names the method to use instead (genesis_chunked). */
  resultTooLarge: -32003,
} as const
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode]

/**
 * Thrown by a method to answer with a JSON-RPC error. `message` and `data` reach the client as given, so they
 * must never carry internals (stack traces, paths). Anything else a method throws becomes -32603.
 */
export class RpcError extends Error {
  static override name = 'RpcError'
  override name = 'RpcError'
  readonly code: number
  readonly data: unknown

  constructor(code: number, message: string, data?: unknown) {
    super(message)
    if (!Number.isSafeInteger(code)) throw new TypeError(`RPC error code must be an integer, got ${code}`)
    this.code = code
    this.data = data
  }
}

export function invalidParams(message: string, data?: unknown): RpcError {
  return new RpcError(RpcErrorCode.invalidParams, message, data)
}

/** The wire shape of a JSON-RPC error object. */
export interface RpcErrorObject {
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

export function errorObject(error: RpcError): RpcErrorObject {
  return error.data === undefined
    ? { code: error.code, message: error.message }
    : { code: error.code, message: error.message, data: error.data }
}
