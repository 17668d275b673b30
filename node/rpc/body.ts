// Reads an HTTP request body under a byte limit, counting while it streams, so an oversized body is
// refused after at most bytesMax + one chunk is buffered, whatever Content-Length claims.

import type { IncomingMessage } from 'node:http'

export class ClientClosedError extends Error {
  static override name = 'ClientClosedError'
  override name = 'ClientClosedError'
}

export type BodyReadResult =
  | { readonly kind: 'body'; readonly bytes: Buffer }
  | { readonly kind: 'too-large' }

export function readBody(
  request: IncomingMessage,
  bytesMax: number,
  signal: AbortSignal,
): Promise<BodyReadResult> {
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > bytesMax) return Promise.resolve({ kind: 'too-large' })
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<BodyReadResult>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = (): void => {
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('error', onError)
      request.off('close', onClose)
      signal.removeEventListener('abort', onAbort)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > bytesMax) {
        cleanup()
        // The rest of the body is discarded; the response closes the connection.
        request.resume()
        resolve({ kind: 'too-large' })
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      resolve({ kind: 'body', bytes: Buffer.concat(chunks, size) })
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    const onClose = (): void => {
      cleanup()
      reject(new ClientClosedError('the client closed the connection before sending the whole body'))
    }
    const onAbort = (): void => {
      cleanup()
      request.resume()
      reject(signal.reason)
    }
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', onError)
    request.on('close', onClose)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
