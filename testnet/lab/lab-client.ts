// Talks to a running testnet's fault lab over DIR/lab.sock (what `quorate testnet ctl` uses).

import { request } from 'node:http'
import { CliError } from '../../node/cli/errors.js'
import { RpcTransportError } from '../../node/rpc/client.js'
import type { LabState } from './lab-state.js'

/** The lab refused a well-formed command in the testnet's current state (HTTP 409; ctl exit code 4). */
export class LabRefusedError extends Error {
  static override name = 'LabRefusedError'
  override name = 'LabRefusedError'
}

const labCallTimeoutMs = 60_000

export async function labCall(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<LabState> {
  const { status, json } = await send(socketPath, method, path, body)
  const answer = json as { state?: LabState; error?: { message?: string } }
  if (status === 200 || status === 202) return (answer.state ?? json) as LabState
  const message = answer.error?.message ?? `HTTP ${status}`
  if (status === 409) throw new LabRefusedError(message)
  if (status === 400) throw new CliError(message)
  throw new Error(`the lab answered HTTP ${status}: ${message}`)
}

function send(
  socketPath: string,
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: unknown }> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        socketPath,
        method,
        path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        timeout: labCallTimeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            })
          } catch {
            reject(new Error(`the lab's answer to ${method} ${path} is not JSON`))
          }
        })
        response.on('error', reject)
      },
    )
    outgoing.on('timeout', () =>
      outgoing.destroy(new RpcTransportError(`the lab did not answer within ${labCallTimeoutMs} ms`)),
    )
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof RpcTransportError) return reject(error)
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        return reject(
          new RpcTransportError(
            `no testnet runner answers on ${socketPath} (is \`quorate testnet\` running with this --dir?)`,
          ),
        )
      }
      reject(error)
    })
    outgoing.end(payload)
  })
}
