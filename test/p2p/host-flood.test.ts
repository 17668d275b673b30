// Inbound flood control: a listed peer, in its own process, writing frames as fast as it can over a real libp2p
// stream, while a well-behaved peer keeps sending.

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { P2PHostOptions, ProtocolSpec } from '../../p2p/index.js'
import {
  Closer,
  createIdentity,
  hostDialAddress,
  loopbackAnyPort,
  type RecordingHost,
  sleep,
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

interface FloodResult {
  framesSent: number
  /** Why the flood stopped early, if it did (the receiver cut it off). */
  error?: string
}

describe('P2PHost inbound flood control', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  /** Floods `receiver` from a child process (see fixtures/flooder.ts). */
  async function runFlooder(
    flooder: TestIdentity,
    receiver: RecordingHost,
    framesMax: number,
    durationMs: number,
  ): Promise<FloodResult> {
    const fixture = fileURLToPath(new URL('./fixtures/flooder.ts', import.meta.url))
    const args = [
      Buffer.from(flooder.secretKey).toString('hex'),
      receiver.host.nodeKeyHex,
      hostDialAddress(receiver.host).toString(),
      consensus.id,
      String(framesMax),
      String(durationMs),
    ]
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const killTimer = setTimeout(() => child.kill('SIGKILL'), durationMs + 20_000)
    closer.add(async () => {
      clearTimeout(killTimer)
      child.kill('SIGKILL')
    })
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    clearTimeout(killTimer)
    expect({ exitCode, output }).toMatchObject({ exitCode: 0 })
    return JSON.parse(output) as FloodResult
  }

  /** A receiver listing the flooder and a well-behaved host that is connected to it. */
  async function startScene(
    receiverOptions: Pick<P2PHostOptions, 'scoreThreshold' | 'scoreDecayPerSecond' | 'penaltyWeights'>,
  ): Promise<{
    receiver: RecordingHost
    honest: RecordingHost
    flooderIdentity: TestIdentity
    honestIdentity: TestIdentity
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
    return { receiver, honest, flooderIdentity, honestIdentity }
  }

  /** Sends one numbered frame every 20 ms until `stop` settles; returns how many were accepted. */
  async function sendSteadily(sender: RecordingHost, to: string, stop: Promise<unknown>): Promise<number> {
    let stopped = false
    void stop.finally(() => {
      stopped = true
    })
    let sent = 0
    while (!stopped) {
      if (sender.host.send(to, consensus.id, Uint8Array.of(sent & 0xff, sent >>> 8))) {
        sent++
      }
      await sleep(20)
    }
    return sent
  }

  const framesFrom = (receiver: RecordingHost, identity: TestIdentity) =>
    receiver.frames.filter((frame) => frame.fromNodeKeyHex === identity.nodeKeyHex)

  it('drops frames beyond the bucket before delivery, reports them in aggregate, and keeps serving an honest peer', async () => {
    // A light flood penalty, so that however long a loaded machine takes to drain the flood, no ban interferes.
    const { receiver, honest, flooderIdentity, honestIdentity } = await startScene({
      penaltyWeights: { flood: 1 },
    })
    const floodStartMs = Date.now()
    const flooding = runFlooder(flooderIdentity, receiver, 5_000_000, 3_000)
    const honestSending = sendSteadily(honest, receiver.host.nodeKeyHex, flooding)
    const { framesSent, error } = await flooding
    expect(error).toBeUndefined()

    const floodReports = () =>
      receiver.events.filter(
        (event) => event.kind === 'flood-dropped' && event.nodeKeyHex === flooderIdentity.nodeKeyHex,
      )
    const droppedCount = () => floodReports().reduce((sum, event) => sum + (event.count ?? 0), 0)
    // Every frame the flooder wrote is accounted for: delivered, or counted in a report.
    await waitFor(
      () => framesFrom(receiver, flooderIdentity).length + droppedCount() === framesSent,
      'every flooded frame accounted for',
    )
    const elapsedMs = Date.now() - floodStartMs

    // The token bucket's bound: at most burst + rate × elapsed frames reach onFrame, however many were sent.
    const deliveredMax = Math.floor(burstFramesMax + (framesPerSecondMax * elapsedMs) / 1000)
    const delivered = framesFrom(receiver, flooderIdentity).length
    expect(framesSent).toBeGreaterThan(100 * deliveredMax)
    expect(delivered).toBeLessThanOrEqual(deliveredMax)
    expect(delivered).toBeGreaterThanOrEqual(burstFramesMax)

    // Aggregated: at most one report per interval, each with its count, and one 'flood' penalty per report.
    const reports = floodReports()
    expect(reports.length).toBeGreaterThan(1)
    expect(reports.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / floodReportIntervalMs) + 1)
    expect(reports.every((event) => event.protocolId === consensus.id && (event.count ?? 0) > 0)).toBe(true)
    const floodPenalties = receiver.events.filter(
      (event) => event.kind === 'penalized' && event.reason === 'flood',
    )
    expect(floodPenalties).toHaveLength(reports.length)
    expect(floodPenalties.every((event) => event.nodeKeyHex === flooderIdentity.nodeKeyHex)).toBe(true)
    const flooderScore = receiver.host
      .peerScores()
      .find((entry) => entry.nodeKeyHex === flooderIdentity.nodeKeyHex)?.score
    expect(flooderScore).toBeLessThan(0)
    expect(receiver.events.filter((event) => event.kind === 'banned')).toEqual([])

    // The honest peer, well under its own bucket, lost nothing and kept its order.
    const honestSent = await honestSending
    await waitFor(
      () => framesFrom(receiver, honestIdentity).length === honestSent,
      'every honest frame delivered',
    )
    expect(honestSent).toBeGreaterThan(20)
    expect(framesFrom(receiver, honestIdentity).map(({ frame }) => frame[0]! + frame[1]! * 256)).toEqual(
      Array.from({ length: honestSent }, (_, index) => index),
    )
  })

  it('a peer that keeps flooding is charged each interval until it is banned and cut off', async () => {
    // Without decay, exactly three flood reports (5 points each) reach a threshold of -12.
    const { receiver, honest, flooderIdentity, honestIdentity } = await startScene({
      scoreThreshold: -12,
      scoreDecayPerSecond: 0,
    })
    const flooding = runFlooder(flooderIdentity, receiver, Number.POSITIVE_INFINITY, 15_000)
    const honestSending = sendSteadily(honest, receiver.host.nodeKeyHex, flooding)
    const { error } = await flooding
    // Cut off well before its time was up.
    expect(error).toBeDefined()
    const banned = receiver.events.find((event) => event.kind === 'banned')
    expect(banned).toMatchObject({ nodeKeyHex: flooderIdentity.nodeKeyHex, durationMs: 10_000 })
    const eventsBeforeBan = receiver.events.slice(0, receiver.events.indexOf(banned!))
    expect(
      eventsBeforeBan.filter((event) => event.kind === 'penalized' && event.reason === 'flood'),
    ).toHaveLength(3)
    expect(receiver.host.connectedPeers()).toEqual([honestIdentity.nodeKeyHex])
    const honestSent = await honestSending
    await waitFor(
      () => framesFrom(receiver, honestIdentity).length === honestSent,
      'every honest frame delivered',
    )
  })
})
