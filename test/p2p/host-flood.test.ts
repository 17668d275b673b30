// Inbound flood control: a listed peer writing frames as fast as it can over a real libp2p stream.

import type { Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeFrame } from '../../p2p/frame-codec.js'
import type { ProtocolSpec } from '../../p2p/index.js'
import {
  Closer,
  createIdentity,
  hostDialAddress,
  loopbackAnyPort,
  type RecordingHost,
  sleep,
  startRawNode,
  startRecordingHost,
  type TestIdentity,
  waitFor,
} from './helpers.js'

const framesPerSecondMax = 200
const burstFramesMax = 100
const floodReportIntervalMs = 250
const consensus: ProtocolSpec = {
  id: '/quorate/consensus/1.0.0',
  frameBytesMax: 1024,
  framesPerSecondMax,
  burstFramesMax,
}

/** Frames per write: many small frames in one chunk is the cheapest way to send the most frames. */
const framesPerChunk = 1_000

interface FloodResult {
  framesSent: number
  /** Why the flood stopped early, if it did (the receiver reset the stream). */
  error?: unknown
}

/**
 * Writes `framesMax` frames on `stream` as fast as its backpressure allows, or until `durationMs` passes or
 * the stream breaks. The bound keeps the test short: the receiver shares this process and drops a few million
 * frames per second, so an unbounded flood would mostly measure how long it takes to drain.
 */
async function flood(stream: Stream, framesMax: number, durationMs: number): Promise<FloodResult> {
  const frame = encodeFrame(Uint8Array.of(0xf1, 0x00, 0xd0, 0x0d))
  const chunk = new Uint8Array(frame.byteLength * framesPerChunk)
  for (let index = 0; index < framesPerChunk; index++) {
    chunk.set(frame, index * frame.byteLength)
  }
  const deadlineMs = Date.now() + durationMs
  let framesSent = 0
  try {
    while (framesSent < framesMax && Date.now() < deadlineMs) {
      const accepted = stream.send(chunk)
      framesSent += framesPerChunk
      if (!accepted) {
        await stream.onDrain({ signal: AbortSignal.timeout(durationMs) })
      }
    }
    await stream.close()
  } catch (err) {
    return { framesSent, error: err }
  }
  return { framesSent }
}

describe('P2PHost inbound flood control', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  /** A receiver host, a raw flooder and a well-behaved host, all listed. */
  async function startScene(receiverOptions: { scoreThreshold?: number } = {}): Promise<{
    receiver: RecordingHost
    honest: RecordingHost
    flooderIdentity: TestIdentity
    honestIdentity: TestIdentity
    receiverIdentity: TestIdentity
  }> {
    const [receiverIdentity, flooderIdentity, honestIdentity] = await Promise.all([
      createIdentity(),
      createIdentity(),
      createIdentity(),
    ])
    const receiver = await startRecordingHost(closer, {
      nodeSecretKey: receiverIdentity.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [
        { nodeKey: flooderIdentity.nodeKey, addresses: [] },
        { nodeKey: honestIdentity.nodeKey, addresses: [] },
      ],
      protocols: [consensus],
      floodReportIntervalMs,
      ...receiverOptions,
    })
    const honest = await startRecordingHost(closer, {
      nodeSecretKey: honestIdentity.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: receiverIdentity.nodeKey, addresses: receiver.host.listenAddresses() }],
      protocols: [consensus],
    })
    await waitFor(() => honest.host.connectedPeers().length === 1, 'the honest peer connected')
    return { receiver, honest, flooderIdentity, honestIdentity, receiverIdentity }
  }

  /** Sends one numbered frame every 20 ms until `stop` resolves; returns how many were accepted. */
  async function sendSteadily(
    sender: RecordingHost,
    toNodeKeyHex: string,
    stop: Promise<unknown>,
  ): Promise<number> {
    let stopped = false
    void stop.then(() => {
      stopped = true
    })
    let sent = 0
    while (!stopped) {
      if (sender.host.send(toNodeKeyHex, consensus.id, Uint8Array.of(sent & 0xff, sent >>> 8))) {
        sent++
      }
      await sleep(20)
    }
    return sent
  }

  it('drops frames beyond the bucket before delivery, reports them in aggregate, and keeps serving an honest peer', async () => {
    const { receiver, honest, flooderIdentity, honestIdentity, receiverIdentity } = await startScene()
    const flooder = await startRawNode(closer, flooderIdentity, [receiverIdentity.nodeKey])
    const floodStartMs = Date.now()
    const stream = await flooder.dialProtocol(hostDialAddress(receiver.host), consensus.id)
    const flooding = flood(stream, 1_000_000, 10_000)
    const honestSent = await sendSteadily(honest, receiverIdentity.nodeKeyHex, flooding)
    const { framesSent, error } = await flooding
    console.error('DEBUG flood done', Date.now() - floodStartMs, framesSent, String(error).slice(0, 300), honestSent)
    expect(error).toBeUndefined()

    const fromFlooder = () => receiver.frames.filter((frame) => frame.fromNodeKeyHex === flooderIdentity.nodeKeyHex)
    const floodReports = () =>
      receiver.events.filter(
        (event) => event.kind === 'flood-dropped' && event.nodeKeyHex === flooderIdentity.nodeKeyHex,
      )
    const droppedCount = () => floodReports().reduce((sum, event) => sum + (event.count ?? 0), 0)
    // Every frame the flooder wrote is accounted for: delivered or counted as dropped.
    await waitFor(() => fromFlooder().length + droppedCount() === framesSent, 'every flooded frame accounted for')
    const elapsedMs = Date.now() - floodStartMs
    console.error('DEBUG accounted', elapsedMs, fromFlooder().length, droppedCount())

    // The token bucket bound: at most burst + rate × elapsed frames reach onFrame, however many were sent.
    const deliveredMax = Math.floor(burstFramesMax + (framesPerSecondMax * elapsedMs) / 1000)
    expect(framesSent).toBeGreaterThan(20 * deliveredMax)
    expect(fromFlooder().length).toBeLessThanOrEqual(deliveredMax)
    expect(fromFlooder().length).toBeGreaterThanOrEqual(burstFramesMax)

    // Aggregated: one report per interval at most, each with its count, and one 'flood' penalty per report.
    const reports = floodReports()
    expect(reports.length).toBeGreaterThan(1)
    expect(reports.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / floodReportIntervalMs) + 1)
    expect(reports.every((event) => event.protocolId === consensus.id && (event.count ?? 0) > 0)).toBe(true)
    const floodPenalties = receiver.events.filter(
      (event) => event.kind === 'penalized' && event.reason === 'flood',
    )
    expect(floodPenalties).toHaveLength(reports.length)
    expect(floodPenalties.every((event) => event.nodeKeyHex === flooderIdentity.nodeKeyHex)).toBe(true)
    const flooderScore = receiver.host.peerScores().find((entry) => entry.nodeKeyHex === flooderIdentity.nodeKeyHex)
    expect(flooderScore?.score).toBeLessThan(0)
    // Not enough for a ban at the default threshold within two seconds.
    expect(receiver.events.filter((event) => event.kind === 'banned')).toEqual([])

    // The honest peer, well under its own bucket, lost nothing and kept its order.
    await waitFor(
      () => receiver.frames.filter((frame) => frame.fromNodeKeyHex === honestIdentity.nodeKeyHex).length === honestSent,
      'every honest frame delivered',
    )
    expect(honestSent).toBeGreaterThan(50)
    const honestFrames = receiver.frames.filter((frame) => frame.fromNodeKeyHex === honestIdentity.nodeKeyHex)
    expect(honestFrames.map(({ frame }) => frame[0]! + frame[1]! * 256)).toEqual(
      Array.from({ length: honestSent }, (_, index) => index),
    )
    expect(receiver.events.filter((event) => event.nodeKeyHex === honestIdentity.nodeKeyHex && event.kind !== 'connected')).toEqual([])
  })

  it('a peer that keeps flooding is charged each interval until it is banned and cut off', async () => {
    // Three flood reports (5 points each) reach a threshold of -12.
    const { receiver, honest, flooderIdentity, honestIdentity, receiverIdentity } = await startScene({
      scoreThreshold: -12,
    })
    const flooder = await startRawNode(closer, flooderIdentity, [receiverIdentity.nodeKey])
    const stream = await flooder.dialProtocol(hostDialAddress(receiver.host), consensus.id)
    const flooding = flood(stream, Number.POSITIVE_INFINITY, 10_000)
    const honestSending = sendSteadily(honest, receiverIdentity.nodeKeyHex, flooding)
    const t0 = Date.now()
    const timer = setInterval(() => console.error('DEBUG', Date.now() - t0, JSON.stringify(receiver.events.map((e) => [e.kind, e.count ?? e.detail]))), 1000)
    const { error } = await flooding
    clearInterval(timer)
    // The receiver cut the flooder off well before its ten seconds were up.
    expect(error).toBeDefined()
    const banned = receiver.events.find((event) => event.kind === 'banned')
    expect(banned).toMatchObject({ nodeKeyHex: flooderIdentity.nodeKeyHex, durationMs: 10_000 })
    expect(
      receiver.events.filter((event) => event.kind === 'penalized' && event.reason === 'flood').length,
    ).toBe(3)
    expect(receiver.host.connectedPeers()).toEqual([honestIdentity.nodeKeyHex])
    await waitFor(() => flooder.getConnections().length === 0, 'the flooder disconnected')
    const honestSent = await honestSending
    await waitFor(
      () => receiver.frames.filter((frame) => frame.fromNodeKeyHex === honestIdentity.nodeKeyHex).length === honestSent,
      'every honest frame delivered',
    )
  })
})
