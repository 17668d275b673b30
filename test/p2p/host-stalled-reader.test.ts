// The malicious fixture "a peer that opens streams and never reads" (`stallInboundStreams`), between real hosts:
// its peers' queues to it fill and their frames are dropped, while everything else keeps flowing.

import { afterEach, describe, expect, it } from 'vitest'
import type { P2PHostOptions, ProtocolSpec } from '../../p2p/index.js'
import {
  Closer,
  createIdentity,
  loopbackAnyPort,
  type RecordingHost,
  sleep,
  startRecordingHost,
  type TestIdentity,
  waitFor,
} from './helpers.js'

const consensus: ProtocolSpec = { id: '/quorate/consensus/1.0.0', frameBytesMax: 100_000 }
const sendQueueLengthMax = 8
const frameBytes = 60_000
/** Yamux's initial stream window: what a stalled reader lets through before its peer must wait. */
const streamWindowBytes = 256 * 1024

describe('P2PHost with a peer that never reads', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  /** A stalled host, an honest sender and a third honest host, all connected to each other. */
  async function startScene(): Promise<{
    stalled: RecordingHost
    sender: RecordingHost
    bystander: RecordingHost
    ids: { stalled: TestIdentity; sender: TestIdentity; bystander: TestIdentity }
  }> {
    const [stalledId, senderId, bystanderId] = await Promise.all([
      createIdentity(),
      createIdentity(),
      createIdentity(),
    ])
    const start = (identity: TestIdentity, dialed: RecordingHost[], options: Partial<P2PHostOptions>) =>
      startRecordingHost(closer, {
        nodeSecretKey: identity.secretKey,
        listenAddresses: [loopbackAnyPort],
        peers: [stalledId, senderId, bystanderId].map((peer, index) => ({
          nodeKey: peer.nodeKey,
          addresses: dialed[index]?.host.listenAddresses() ?? [],
        })),
        protocols: [consensus],
        sendQueueLengthMax,
        ...options,
      })
    const stalled = await start(stalledId, [], { stallInboundStreams: true })
    const sender = await start(senderId, [stalled], {})
    const bystander = await start(bystanderId, [stalled, sender], {})
    await waitFor(
      () => [stalled, sender, bystander].every(({ host }) => host.connectedPeers().length === 2),
      'all pairs connected',
    )
    return {
      stalled,
      sender,
      bystander,
      ids: { stalled: stalledId, sender: senderId, bystander: bystanderId },
    }
  }

  const fromPeer = (receiver: RecordingHost, identity: TestIdentity) =>
    receiver.frames.filter((frame) => frame.fromNodeKeyHex === identity.nodeKeyHex)

  it("fills its peer's send queue, whose frames are then dropped, without disturbing other traffic", async () => {
    const { stalled, sender, bystander, ids } = await startScene()

    // The sender keeps sending to the stalled host, giving its channel time to write, until the queue is full.
    let accepted = 0
    for (let attempt = 0; attempt < 200; attempt++) {
      if (!sender.host.send(ids.stalled.nodeKeyHex, consensus.id, new Uint8Array(frameBytes))) {
        break
      }
      accepted++
      await sleep(5)
    }
    // What left the queue is at most one window, plus the frame that did not fit in it.
    expect(accepted).toBeGreaterThanOrEqual(sendQueueLengthMax)
    expect(accepted).toBeLessThanOrEqual(sendQueueLengthMax + Math.ceil(streamWindowBytes / frameBytes) + 1)

    // And it stays full: nothing more is taken, however long the sender keeps trying.
    const queueFullBefore = sender.events.filter((event) => event.kind === 'queue-full').length
    expect(queueFullBefore).toBeGreaterThan(0)
    for (let attempt = 0; attempt < 50; attempt++) {
      expect(sender.host.send(ids.stalled.nodeKeyHex, consensus.id, new Uint8Array(frameBytes))).toBe(false)
      await sleep(10)
    }
    const queueFull = sender.events.filter((event) => event.kind === 'queue-full')
    expect(queueFull.length).toBe(queueFullBefore + 50)
    expect(queueFull.every((event) => event.nodeKeyHex === ids.stalled.nodeKeyHex)).toBe(true)
    expect(stalled.frames).toEqual([])

    // Everything else flows: the sender to the bystander, and the stalled host's own frames to both.
    for (let tag = 1; tag <= 20; tag++) {
      expect(sender.host.send(ids.bystander.nodeKeyHex, consensus.id, Uint8Array.of(tag))).toBe(true)
      stalled.host.broadcast(consensus.id, Uint8Array.of(100 + tag))
      await sleep(5)
    }
    await waitFor(
      () =>
        fromPeer(bystander, ids.sender).length === 20 &&
        fromPeer(bystander, ids.stalled).length === 20 &&
        fromPeer(sender, ids.stalled).length === 20,
      'the other traffic delivered',
    )
    expect(fromPeer(bystander, ids.sender).map(({ frame }) => frame[0])).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    )
    expect(fromPeer(sender, ids.stalled).map(({ frame }) => frame[0])).toEqual(
      Array.from({ length: 20 }, (_, index) => 101 + index),
    )
    // Nobody crashed or dropped anyone: a full queue is not a fault of the link.
    for (const { host } of [stalled, sender, bystander]) {
      expect(host.connectedPeers()).toHaveLength(2)
    }
    expect(sender.events.filter((event) => event.kind === 'disconnected')).toEqual([])
  })
})
