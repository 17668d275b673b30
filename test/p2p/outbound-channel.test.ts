// One outbound channel against a peer that stops reading, over a real libp2p connection (TCP + Noise + Yamux):
// whatever the peer does, `enqueue` returns at once, memory stays within the channel's bounds, and a stream
// that stops taking bytes is replaced.

import type { Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeFrame } from '../../p2p/frame-codec.js'
import { readInboundStream } from '../../p2p/inbound-reader.js'
import { OutboundChannel } from '../../p2p/outbound-channel.js'
import { Closer, createIdentity, sleep, startRawNode, waitFor } from './helpers.js'

const protocolId = '/quorate/test/1.0.0'
const frameBytes = 60_000
const queueLengthMax = 4

interface Receiver {
  /** Every inbound stream, in the order opened. */
  streams: Stream[]
  /** Frames read from the streams that are read (the first byte of each). */
  frameTags: number[]
}

describe('OutboundChannel against a peer that does not read', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  /**
   * A receiver that pauses (never reads) its first `stalledStreams` inbound streams and reads the rest, and a
   * sender's channel to it. Pausing withholds yamux window updates, as a peer that never reads does.
   */
  async function startPair(stalledStreams: number, sendStallTimeoutMs: number) {
    const [senderIdentity, receiverIdentity] = await Promise.all([createIdentity(), createIdentity()])
    const receiverNode = await startRawNode(closer, receiverIdentity, [senderIdentity.nodeKey])
    const senderNode = await startRawNode(closer, senderIdentity, [receiverIdentity.nodeKey])
    const receiver: Receiver = { streams: [], frameTags: [] }
    await receiverNode.handle(protocolId, (stream) => {
      receiver.streams.push(stream)
      if (receiver.streams.length <= stalledStreams) {
        stream.pause()
        return
      }
      readInboundStream(stream, {
        frameBytesMax: frameBytes,
        onFrame: (frame) => receiver.frameTags.push(frame[0]!),
        onFrameTooLarge: () => undefined,
        onStreamError: () => undefined,
      })
    })
    const connection = await senderNode.dial(receiverNode.getMultiaddrs())
    const opened: Stream[] = []
    const streamErrors: string[] = []
    let queueFullCount = 0
    const channel = new OutboundChannel({
      openStream: async (signal) => {
        const stream = await connection.newStream(protocolId, { signal })
        opened.push(stream)
        return stream
      },
      queueLengthMax,
      queueBytesMax: 1_048_576,
      sendStallTimeoutMs,
      onQueueFull: () => {
        queueFullCount++
      },
      onStreamError: (detail) => streamErrors.push(detail),
    })
    closer.add(async () => channel.close())
    return { receiver, channel, opened, streamErrors, queueFull: () => queueFullCount }
  }

  const frame = (tag: number) => {
    const body = new Uint8Array(frameBytes)
    body[0] = tag
    return encodeFrame(body)
  }

  /** Enqueues frames, letting the channel write between them, until one is refused; returns how many were taken. */
  async function fillQueue(channel: OutboundChannel, firstTag: number): Promise<number> {
    let accepted = 0
    for (let attempt = 0; attempt < 200; attempt++) {
      expect(channel.queueLength).toBeLessThanOrEqual(queueLengthMax)
      if (!channel.enqueue(frame(firstTag + accepted))) {
        return accepted
      }
      accepted++
      await sleep(5)
    }
    return accepted
  }

  it('enqueue returns at once and refuses beyond the queue; the stalled stream is dropped after sendStallTimeoutMs and replaced', async () => {
    const sendStallTimeoutMs = 1_000
    const { receiver, channel, opened, streamErrors, queueFull } = await startPair(1, sendStallTimeoutMs)
    // The stall starts once the stream's window is full, at some point while the queue fills.
    const fillStartMs = Date.now()
    const accepted = await fillQueue(channel, 0)
    // Beyond the queue, only one stream window (256 KiB) and the frame that did not fit in it left.
    expect(accepted).toBeGreaterThanOrEqual(queueLengthMax)
    expect(accepted).toBeLessThanOrEqual(queueLengthMax + Math.ceil((256 * 1024) / frameBytes) + 1)
    expect(queueFull()).toBe(1)
    // The stream holds at most the frame it is waiting to send.
    const [stalled] = opened
    expect(stalled?.writableNeedsDrain).toBe(true)
    expect(stalled?.writeBufferLength).toBeLessThanOrEqual(frameBytes + 8)
    expect(streamErrors).toEqual([])

    await waitFor(() => streamErrors.length > 0, 'the stall detected')
    // Not before its time (less a little for timer and clock granularity).
    expect(Date.now() - fillStartMs).toBeGreaterThanOrEqual(sendStallTimeoutMs - 20)
    expect(streamErrors[0]).toMatch(/^send failed: .*TimeoutError/)
    await waitFor(() => stalled?.status !== 'open', 'the stalled stream dropped')
    // The rest of the queue goes out on a fresh stream, which this receiver reads.
    await waitFor(() => receiver.frameTags.at(-1) === accepted - 1, 'the rest of the queue delivered')
    expect(channel.queueLength).toBe(0)
    expect(opened).toHaveLength(2)
    await waitFor(() => receiver.streams[0]?.status !== 'open', 'the receiver sees the reset')
    const delivered = receiver.frameTags.length
    expect(receiver.frameTags).toEqual(
      Array.from({ length: delivered }, (_, index) => accepted - delivered + index),
    )
    expect(channel.enqueue(frame(200))).toBe(true)
    await waitFor(() => receiver.frameTags.at(-1) === 200, 'a new frame delivered')
  })

  it('a stream the peer resets while the channel waits for it to drain is replaced at once, not after the stall timeout', async () => {
    // Longer than the test may run: only noticing the reset can replace the stream in time.
    const { receiver, channel, opened, streamErrors } = await startPair(1, 600_000)
    const accepted = await fillQueue(channel, 0)
    await waitFor(() => opened[0]?.writableNeedsDrain === true, 'the channel waiting for the stalled stream')
    receiver.streams[0]!.abort(new Error('the receiver gives up on this stream'))
    await waitFor(() => receiver.frameTags.at(-1) === accepted - 1, 'the queue sent on a new stream')
    expect(opened).toHaveLength(2)
    expect(streamErrors).toEqual([expect.stringMatching(/^send failed: OutboundStreamClosedError/)])
  })

  it('close drops the queue and the stream; enqueue refuses afterwards', async () => {
    const { channel, opened } = await startPair(1, 600_000)
    await fillQueue(channel, 0)
    channel.close()
    expect(channel.queueLength).toBe(0)
    expect(opened[0]?.status).not.toBe('open')
    expect(channel.enqueue(frame(1))).toBe(false)
  })
})
