// The fault lab's HTTP API and web console (docs/fault-lab.md): one request handler on two listeners, a Unix
// socket for `quorate testnet ctl` and 127.0.0.1 for the browser. Bounded: request bodies, event streams.

import { chmod, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readBody } from '../../node/rpc/body.js'
import { recentBlocks, txPath } from './chain-routes.js'
import { parseLabCommand } from './commands.js'
import { consoleFile } from './console-files.js'
import type { FaultLab } from './fault-lab.js'
import { LabRequestError } from './lab-error.js'

export const controlBodyBytesMax = 64 * 1024
export const eventStreamsMax = 32
export const eventStreamBufferBytesMax = 1024 * 1024
/** State pushed to event streams at most this often (a burst of changes is sent once). */
const eventStreamPaceMs = 200

export interface ControlServerOptions {
  readonly lab: FaultLab
  /** The Unix socket `ctl` talks to. */
  readonly socketPath: string
  /** The console's port on 127.0.0.1 (0: any free port). */
  readonly consolePort: number
  /** Runs a shipped scenario against the lab (POST /api/scenario); absent: 404. */
  readonly runScenario?: (name: string) => Promise<void>
}

export class ControlServer {
  readonly #servers: Server[]
  readonly consoleUrl: string
  readonly socketPath: string

  private constructor(servers: Server[], consoleUrl: string, socketPath: string) {
    this.#servers = servers
    this.consoleUrl = consoleUrl
    this.socketPath = socketPath
  }

  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    const handler = requestHandler(options)
    const onSocket = createServer(handler)
    const onLoopback = createServer(handler)
    // A socket file left by a runner that was SIGKILLed would make listen fail with EADDRINUSE.
    await rm(options.socketPath, { force: true })
    await listen(onSocket, () => onSocket.listen(options.socketPath))
    await chmod(options.socketPath, 0o600)
    try {
      await listen(onLoopback, () => onLoopback.listen(options.consolePort, '127.0.0.1'))
    } catch (error) {
      onSocket.close()
      throw error
    }
    const { port } = onLoopback.address() as AddressInfo
    return new ControlServer([onSocket, onLoopback], `http://127.0.0.1:${port}/`, options.socketPath)
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      ),
    )
    await rm(this.socketPath, { force: true })
  }
}

function listen(server: Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.once('listening', () => {
      server.off('error', reject)
      resolve()
    })
    start()
  })
}

function requestHandler(options: ControlServerOptions) {
  const { lab } = options
  let streams = 0
  return (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://lab')
    const route = `${request.method} ${url.pathname}`
    const refusal = browserRefusal(request)
    if (refusal !== undefined) {
      sendError(response, 403, 'forbidden', refusal)
      return
    }
    const answer = async (): Promise<void> => {
      switch (route) {
        case 'GET /api/state':
          return sendJson(response, 200, lab.state())
        case 'GET /api/events':
          if (streams >= eventStreamsMax)
            throw new LabRequestError('conflict', `at most ${eventStreamsMax} event streams`)
          streams++
          response.once('close', () => streams--)
          return streamState(lab, response)
        case 'POST /api/control': {
          const command = parseLabCommand(await jsonBody(request))
          return sendJson(response, 200, { ok: true, state: await lab.execute(command) })
        }
        case 'GET /api/blocks':
          return sendJson(response, 200, await recentBlocks(lab, Number(url.searchParams.get('limit') ?? 10)))
        case 'GET /api/tx':
          return sendJson(response, 200, await txPath(lab, url.searchParams.get('hash') ?? ''))
        case 'GET /api/scenarios':
          return sendJson(response, 200, { scenarios: lab.state().scenarios })
        case 'POST /api/scenario': {
          if (options.runScenario === undefined)
            return sendError(response, 404, 'not-found', 'no scenarios here')
          const { name } = (await jsonBody(request)) as { name?: unknown }
          if (typeof name !== 'string') throw new LabRequestError('bad-request', 'name: a scenario name')
          await options.runScenario(name)
          return sendJson(response, 202, { ok: true, state: lab.state() })
        }
      }
      if (request.method === 'GET') {
        const file = await consoleFile(url.pathname)
        if (file !== undefined) {
          response.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache' })
          response.end(file.body)
          return
        }
      }
      sendError(response, 404, 'not-found', `no route ${route}`)
    }
    answer().catch((error: unknown) => {
      if (response.headersSent) return response.destroy()
      if (error instanceof LabRequestError) {
        return sendError(response, error.code === 'conflict' ? 409 : 400, error.code, error.message)
      }
      sendError(response, 500, 'internal', error instanceof Error ? error.message : String(error))
    })
  }
}

const loopbackHost = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/

/**
 * Only pages served by the lab itself may drive it from a browser: a Host other than the loopback (DNS
 * rebinding) is refused, and so is a POST that is not JSON (which a foreign page could send without a CORS
 * preflight) or that comes from another origin. `ctl` on the Unix socket sends no Origin.
 */
function browserRefusal(request: IncomingMessage): string | undefined {
  const host = request.headers.host
  if (host !== undefined && host !== 'localhost' && !loopbackHost.test(host))
    return `Host ${host} is not the loopback`
  if (request.method !== 'POST') return undefined
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
    return 'POST bodies must be sent as content-type: application/json'
  }
  const origin = request.headers.origin
  if (origin !== undefined && origin !== `http://${host}`) return `origin ${origin} may not control this lab`
  return undefined
}

async function jsonBody(request: IncomingMessage): Promise<unknown> {
  const body = await readBody(request, controlBodyBytesMax, AbortSignal.timeout(10_000))
  if (body.kind === 'too-large')
    throw new LabRequestError('bad-request', `the body is over ${controlBodyBytesMax} bytes`)
  try {
    return JSON.parse(body.bytes.toString('utf8'))
  } catch {
    throw new LabRequestError('bad-request', 'the body is not JSON')
  }
}

function streamState(lab: FaultLab, response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  })
  let timer: NodeJS.Timeout | undefined
  const send = (): void => {
    timer = undefined
    // A reader that stopped reading is dropped, not buffered for without bound.
    if (response.writableLength > eventStreamBufferBytesMax) return void response.destroy()
    response.write(`event: state\ndata: ${JSON.stringify(lab.state())}\n\n`)
  }
  const unsubscribe = lab.onChange(() => {
    timer ??= setTimeout(send, eventStreamPaceMs)
  })
  response.once('close', () => {
    unsubscribe()
    clearTimeout(timer)
  })
  send()
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  })
  response.end(body)
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { error: { code, message } })
}
