// The SDK's one WebSocket to a node's /websocket: subscriptions by query, each event routed to its listener by
// the id of the subscribe request that opened it (CometBFT's framing, node/rpc/websocket.ts).

import { WebSocket } from 'ws'

type Listener = (data: { readonly type: string; readonly value: unknown }) => void

interface Subscriber {
  readonly listener: Listener
  /** The socket closed: no more events will come. */
  readonly onEnd: (error: Error) => void
}

interface Pending {
  readonly resolve: (result: unknown) => void
  readonly reject: (error: Error) => void
}

export class EventSocketError extends Error {
  static override name = 'EventSocketError'
  override name = 'EventSocketError'
}

export class EventSocket {
  readonly #url: string
  readonly #token: string | undefined
  #socket: Promise<WebSocket> | undefined
  #nextId = 1
  readonly #pending = new Map<number, Pending>()
  readonly #subscribers = new Map<number, Subscriber>()

  /** `url`: the node's RPC URL (http://host:port/); the socket goes to ws://host:port/websocket. */
  constructor(url: string, token?: string) {
    const target = new URL('websocket', url.endsWith('/') ? url : `${url}/`)
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:'
    this.#url = target.toString()
    this.#token = token
  }

  /**
   * Subscribes to `query`: `listener` gets each event's data, `onEnd` hears if the socket closes. Returns the
   * unsubscribe.
   */
  async subscribe(
    query: string,
    listener: Listener,
    onEnd: (error: Error) => void = () => {},
  ): Promise<() => Promise<void>> {
    const id = this.#nextId++
    this.#subscribers.set(id, { listener, onEnd })
    try {
      await this.#request(id, 'subscribe', { query })
    } catch (error) {
      this.#subscribers.delete(id)
      throw error
    }
    return async () => {
      if (!this.#subscribers.delete(id)) return
      await this.#request(this.#nextId++, 'unsubscribe', { query }).catch(() => {})
    }
  }

  close(): void {
    const socket = this.#socket
    this.#socket = undefined
    void socket?.then((ws) => ws.close(1000, 'client closed')).catch(() => {})
    this.#fail(new EventSocketError('event socket closed'))
  }

  async #request(id: number, method: string, params: unknown): Promise<unknown> {
    const socket = await this.#open()
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  #open(): Promise<WebSocket> {
    this.#socket ??= new Promise((resolve, reject) => {
      const headers = this.#token === undefined ? undefined : { Authorization: `Bearer ${this.#token}` }
      const ws = new WebSocket(this.#url, headers === undefined ? {} : { headers })
      ws.once('open', () => resolve(ws))
      ws.once('error', (error) => reject(new EventSocketError(`${this.#url}: ${error.message}`)))
      ws.on('message', (data) => this.#onMessage(String(data)))
      ws.on('close', (code, reason) => {
        this.#socket = undefined
        this.#fail(
          new EventSocketError(`${this.#url} closed (${code}${reason.length > 0 ? `: ${reason}` : ''})`),
        )
      })
    })
    return this.#socket
  }

  #onMessage(text: string): void {
    let message: { id?: unknown; result?: { data?: unknown }; error?: { code: number; message: string } }
    try {
      message = JSON.parse(text)
    } catch {
      return
    }
    if (typeof message.id !== 'number') return
    const pending = this.#pending.get(message.id)
    if (pending !== undefined) {
      this.#pending.delete(message.id)
      if (message.error !== undefined) pending.reject(new EventSocketError(message.error.message))
      else pending.resolve(message.result)
      return
    }
    const data = message.result?.data as { type: string; value: unknown } | undefined
    if (data !== undefined) this.#subscribers.get(message.id)?.listener(data)
  }

  /** Every waiting request fails; subscriptions end (their listeners are dropped). */
  #fail(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
    const ended = [...this.#subscribers.values()]
    this.#subscribers.clear()
    for (const subscriber of ended) subscriber.onEnd(error)
  }
}
