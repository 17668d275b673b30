// One long-lived outbound stream to one peer for one protocol, fed from a FIFO of encoded frames bounded by
// count and by bytes. The stream opens lazily on the first frame and reopens after a failure; sending waits
// for 'drain' when the stream's buffer is full, so a slow peer fills this queue (then new frames are dropped),
// never memory. A peer that accepts nothing for `sendStallTimeoutMs` gets a fresh stream, and so does one that
// resets the stream while frames wait on it.

import type { Stream } from '@libp2p/interface'
import { streamOpenTimeoutMs } from './constants.js'
import { deadline } from './deadline.js'
import { describeError, HostClosedError, OutboundStreamClosedError } from './errors.js'

export interface OutboundChannelOptions {
  /** Opens a fresh stream for this (peer, protocol). */
  openStream: (signal: AbortSignal) => Promise<Stream>
  queueLengthMax: number
  /** Bytes of queued frames; one frame is always accepted into an empty queue, whatever its size. */
  queueBytesMax: number
  /** A stream that takes no more bytes for this long is dropped, and the next frame opens a fresh one. */
  sendStallTimeoutMs: number
  onQueueFull: (detail: string) => void
  onStreamError: (detail: string) => void
}

export class OutboundChannel {
  private readonly options: OutboundChannelOptions
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private readonly abortController = new AbortController()
  private stream: Stream | undefined
  private pumping = false

  constructor(options: OutboundChannelOptions) {
    this.options = options
  }

  get queueLength(): number {
    return this.queue.length
  }

  /** Queues one encoded frame. False when closed or the queue is full (the frame is dropped). */
  enqueue(encodedFrame: Uint8Array): boolean {
    if (this.abortController.signal.aborted) {
      return false
    }
    if (this.queue.length >= this.options.queueLengthMax) {
      this.options.onQueueFull(`${this.queue.length} frames queued`)
      return false
    }
    if (this.queue.length > 0 && this.queuedBytes + encodedFrame.byteLength > this.options.queueBytesMax) {
      this.options.onQueueFull(`${this.queuedBytes} bytes queued`)
      return false
    }
    this.queue.push(encodedFrame)
    this.queuedBytes += encodedFrame.byteLength
    if (!this.pumping) {
      void this.pump()
    }
    return true
  }

  /** Drops queued frames and aborts the stream; the channel is unusable afterwards. */
  close(): void {
    this.abortController.abort(new HostClosedError('outbound channel closed'))
    this.clearQueue()
    this.dropStream()
  }

  private clearQueue(): void {
    this.queue.length = 0
    this.queuedBytes = 0
  }

  private dropStream(): void {
    const stream = this.stream
    this.stream = undefined
    stream?.abort(new HostClosedError('outbound stream dropped'))
  }

  private async openStream(): Promise<Stream> {
    const openDeadline = deadline(this.abortController.signal, streamOpenTimeoutMs, 'stream open')
    let stream: Stream
    try {
      stream = await this.options.openStream(openDeadline.signal)
    } finally {
      openDeadline.clear()
    }
    if (this.abortController.signal.aborted) {
      stream.abort(new HostClosedError('outbound channel closed while opening'))
      throw new HostClosedError('outbound channel closed')
    }
    // Forget the stream once it ends (remote reset, connection closed), so the next frame reopens it.
    stream.addEventListener(
      'close',
      () => {
        if (this.stream === stream) {
          this.stream = undefined
        }
      },
      { once: true },
    )
    this.stream = stream
    return stream
  }

  /** Writes queued frames in order; only one pump runs at a time. */
  private async pump(): Promise<void> {
    this.pumping = true
    const signal = this.abortController.signal
    try {
      while (!signal.aborted && this.queue.length > 0) {
        let stream = this.stream
        if (stream === undefined || stream.writeStatus !== 'writable') {
          this.stream = undefined
          try {
            stream = await this.openStream()
          } catch (err) {
            // The peer is unreachable on this protocol right now: drop what is queued rather than retry in a
            // loop. The next frame tries again.
            if (!signal.aborted) {
              this.clearQueue()
              this.options.onStreamError(`open failed: ${describeError(err)}`)
            }
            return
          }
        }
        const encodedFrame = this.queue.shift()!
        this.queuedBytes -= encodedFrame.byteLength
        try {
          stream.send(encodedFrame)
          // Closing the channel aborts the stream, which ends this wait too.
          await waitUntilWritable(stream, signal, this.options.sendStallTimeoutMs)
        } catch (err) {
          // The stream broke: this frame may or may not have arrived. Reopen for the rest of the queue.
          if (!signal.aborted) {
            this.options.onStreamError(`send failed: ${describeError(err)}`)
            if (this.stream === stream) {
              this.dropStream()
            }
          }
        }
      }
    } finally {
      this.pumping = false
    }
  }
}

/** Bytes libp2p may hold for one stream before we stop handing it more. */
const streamWriteBufferBytesMax = 4 * 1_048_576
const drainPollMs = 50

/**
 * Waits until the stream can take more. Not `stream.onDrain()`: in @libp2p/utils 7.4 it returns the first drain's
 * (already resolved) promise to every later call, and `send()` can keep returning true while libp2p's buffer
 * grows, so both the flag and the buffered byte count are checked, on 'drain' events and a short poll.
 * A stream reset while waiting keeps `writableNeedsDrain` set and never drains: its write status ends the wait.
 * The stall deadline is set only when there is something to wait for, so a healthy stream costs no timer.
 */
async function waitUntilWritable(
  stream: Stream,
  channelSignal: AbortSignal,
  stallTimeoutMs: number,
): Promise<void> {
  const mustWait = () => stream.writableNeedsDrain || stream.writeBufferLength > streamWriteBufferBytesMax
  if (!mustWait()) {
    return
  }
  const stall = deadline(channelSignal, stallTimeoutMs, 'no bytes taken by the stream')
  const signal = stall.signal
  try {
    while (mustWait()) {
      signal.throwIfAborted()
      if (stream.writeStatus !== 'writable') {
        throw new OutboundStreamClosedError(`stream ${stream.status} while frames waited to go out`)
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          stream.removeEventListener('drain', done)
          stream.removeEventListener('close', done)
          signal.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, drainPollMs)
        stream.addEventListener('drain', done)
        stream.addEventListener('close', done)
        signal.addEventListener('abort', done)
      })
    }
  } finally {
    stall.clear()
  }
}
