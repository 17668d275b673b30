// Reads one inbound protocol stream until it ends: every complete frame goes to `onFrame` in arrival order.
// A frame that declares more than the protocol allows aborts this stream (before its body is read) and is
// reported; a frame the admission check refuses (flood control, blocked peer) is skipped without allocating
// its body. Nothing a peer sends escapes as a throw.

import type { Stream } from '@libp2p/interface'
import { describeError, FrameTooLargeError, FrameTruncatedError } from './errors.js'
import { FrameDecoder } from './frame-codec.js'

export interface InboundReaderOptions {
  frameBytesMax: number
  /**
   * Asked once per frame, from its length alone; a refused frame is skipped unread. `receivedAtMs` is the
   * arrival time of the chunk holding the frame's prefix (one clock read per chunk, not per frame).
   */
  admitFrame?: (frameBytes: number, receivedAtMs: number) => boolean
  /** Monotonic milliseconds clock for `receivedAtMs`. */
  nowMs?: () => number
  onFrame: (frame: Uint8Array) => void
  onFrameTooLarge: (detail: string) => void
  onStreamError: (detail: string) => void
}

export function readInboundStream(stream: Stream, options: InboundReaderOptions): void {
  const { admitFrame, nowMs = performance.now.bind(performance) } = options
  let receivedAtMs = 0
  const decoder = new FrameDecoder(
    options.frameBytesMax,
    admitFrame === undefined ? undefined : (frameBytes) => admitFrame(frameBytes, receivedAtMs),
  )
  let failed = false

  const deliver = (frame: Uint8Array): void => {
    try {
      options.onFrame(frame)
    } catch (err) {
      // The receiver's bug, not the peer's: report it and keep the stream.
      options.onStreamError(`onFrame threw: ${describeError(err)}`)
    }
  }

  const fail = (err: unknown): void => {
    failed = true
    stream.removeEventListener('message', onMessage)
    if (err instanceof FrameTooLargeError) {
      options.onFrameTooLarge(err.message)
    } else {
      options.onStreamError(describeError(err))
    }
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }

  const onMessage = (event: { data: Uint8Array | { subarray(): Uint8Array } }): void => {
    if (failed) {
      return
    }
    const chunk = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    if (admitFrame !== undefined) {
      receivedAtMs = nowMs()
    }
    try {
      decoder.push(chunk, deliver)
    } catch (err) {
      fail(err)
    }
  }

  // 'end': no more data will arrive and everything received was delivered. A frame cut short is the remote's
  // error; otherwise close our (unused) write end too, which completes the stream's close.
  const onEnd = (): void => {
    if (failed) {
      return
    }
    if (decoder.hasPartialFrame()) {
      fail(new FrameTruncatedError('stream ended inside a frame'))
      return
    }
    if (stream.writeStatus === 'writable') {
      stream.close().catch((err: unknown) => {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      })
    }
  }

  stream.addEventListener('message', onMessage)
  stream.addEventListener('end', onEnd, { once: true })
  stream.addEventListener(
    'close',
    (event) => {
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('end', onEnd)
      if (!failed && event.error !== undefined && event.local !== true) {
        options.onStreamError(`remote reset: ${describeError(event.error)}`)
      }
    },
    { once: true },
  )
}
