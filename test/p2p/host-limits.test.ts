// Frame size limits, bounded queues, and connection and stream limits per peer, against real libp2p streams.

import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { connectionsPerPeerMax, inboundStreamsPerPeerPerProtocolMax } from '../../p2p/constants.js'
import { encodeFrame, encodeFramePrefix } from '../../p2p/frame-codec.js'
import { P2PConfigError, type ProtocolSpec } from '../../p2p/index.js'
import {
  Closer,
  createIdentity,
  frameDigests,
  hostDialAddress,
  loopbackAnyPort,
  patternBytes,
  type RecordingHost,
  startMesh,
  startRawNode,
  startRecordingHost,
  type TestIdentity,
  waitFor,
} from './helpers.js'

const consensus: ProtocolSpec = { id: '/quorate/consensus/1.0.0', frameBytesMax: 1024 }
const sync: ProtocolSpec = { id: '/quorate/sync/1.0.0', frameBytesMax: 100_000 }

describe('P2PHost frame limits', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  async function startHostWithRawPeer(): Promise<{ host: RecordingHost; rawIdentity: TestIdentity }> {
    const [hostIdentity, rawIdentity] = await Promise.all([createIdentity(), createIdentity()])
    const host = await startRecordingHost(closer, {
      nodeSecretKey: hostIdentity.secretKey,
      listenAddresses: [loopbackAnyPort],
      // The raw node is a member with no address: it dials in.
      peers: [{ nodeKey: rawIdentity.nodeKey, addresses: [] }],
      protocols: [consensus, sync],
    })
    return { host, rawIdentity }
  }

  it('rejects an oversized frame from its length prefix alone, then keeps serving the peer', async () => {
    const { host, rawIdentity } = await startHostWithRawPeer()
    const raw = await startRawNode(closer, rawIdentity, [Buffer.from(host.host.nodeKeyHex, 'hex')])
    const address = hostDialAddress(host.host)

    // Only a prefix declaring max + 1 bytes: no body follows, so rejecting it proves the check runs first.
    const oversized = await raw.dialProtocol(address, consensus.id)
    oversized.send(encodeFramePrefix(consensus.frameBytesMax + 1))
    await waitFor(
      () => host.events.some((event) => event.kind === 'frame-too-large'),
      'frame-too-large reported',
    )
    await waitFor(() => oversized.status !== 'open', 'the oversized stream reset by the host')
    expect(host.events.find((event) => event.kind === 'frame-too-large')).toMatchObject({
      kind: 'frame-too-large',
      nodeKeyHex: rawIdentity.nodeKeyHex,
      protocolId: consensus.id,
    })

    // A declared length of 2^40 bytes must not be allocated either.
    const absurd = await raw.dialProtocol(address, consensus.id)
    absurd.send(encodeFramePrefix(2 ** 40))
    await waitFor(
      () => host.events.filter((event) => event.kind === 'frame-too-large').length === 2,
      'second frame-too-large reported',
    )
    expect(host.frames).toEqual([])

    // The peer and the protocol still work: a fresh stream written with libp2p's own lpStream is accepted.
    const fresh = lpStream(await raw.dialProtocol(address, consensus.id))
    const exact = patternBytes(consensus.frameBytesMax, 5)
    await fresh.write(exact)
    await fresh.write(Uint8Array.of(1, 2, 3))
    await waitFor(() => host.frames.length === 2, 'frames after the rejection')
    expect(host.frames.map((frame) => frame.fromNodeKeyHex)).toEqual([
      rawIdentity.nodeKeyHex,
      rawIdentity.nodeKeyHex,
    ])
    expect(frameDigests(host.frames.map((frame) => frame.frame))).toEqual(
      frameDigests([exact, Uint8Array.of(1, 2, 3)]),
    )
    expect(host.host.connectedPeers()).toEqual([rawIdentity.nodeKeyHex])
  })

  it('reports a stream that ends inside a frame, delivering the frames before it', async () => {
    const { host, rawIdentity } = await startHostWithRawPeer()
    const raw = await startRawNode(closer, rawIdentity, [Buffer.from(host.host.nodeKeyHex, 'hex')])
    const stream = await raw.dialProtocol(hostDialAddress(host.host), sync.id)
    const whole = lpStream(stream)
    await whole.write(Uint8Array.of(7))
    const unwrapped = whole.unwrap()
    unwrapped.send(encodeFramePrefix(10))
    unwrapped.send(Uint8Array.of(1, 2, 3))
    await unwrapped.close()
    await waitFor(() => host.events.some((event) => event.kind === 'stream-error'), 'truncation reported')
    expect(host.events.find((event) => event.kind === 'stream-error')?.detail).toMatch(/FrameTruncatedError/)
    expect(frameDigests(host.frames.map((frame) => frame.frame))).toEqual(frameDigests([Uint8Array.of(7)]))
  })

  it('refuses to send a frame larger than the protocol allows, without touching the stream', async () => {
    const { identities, hosts } = await startMesh(closer, 2, { protocols: [consensus] })
    const [a, _b] = identities as [TestIdentity, TestIdentity]
    const [first, second] = hosts as [RecordingHost, RecordingHost]
    expect(second.host.send(a.nodeKeyHex, consensus.id, new Uint8Array(consensus.frameBytesMax + 1))).toBe(
      false,
    )
    expect(second.events.filter((event) => event.kind === 'frame-too-large')).toHaveLength(1)
    expect(second.host.send(a.nodeKeyHex, consensus.id, Uint8Array.of(42))).toBe(true)
    await waitFor(() => first.frames.length === 1, 'the next frame arrives')
    expect(first.events.filter((event) => event.kind === 'frame-too-large')).toEqual([])
    // Unknown protocols and unknown peers are the caller's mistakes, told apart from a refusal.
    expect(() => second.host.send(a.nodeKeyHex, '/quorate/unknown/1.0.0', Uint8Array.of(1))).toThrow(
      P2PConfigError,
    )
    expect(second.host.send('00'.repeat(32), consensus.id, Uint8Array.of(1))).toBe(false)
  })

  it('bounds the per-peer queue: frames beyond sendQueueLengthMax are dropped and reported', async () => {
    // Both hosts get the bound; only the sender sends.
    const { identities, hosts } = await startMesh(closer, 2, {
      protocols: [consensus],
      sendQueueLengthMax: 4,
    })
    const a = identities[0] as TestIdentity
    const [receiver, sender] = hosts as [RecordingHost, RecordingHost]
    // In one synchronous burst the stream is still opening, so nothing leaves the queue yet.
    const accepted = Array.from({ length: 10 }, (_, index) =>
      sender.host.send(a.nodeKeyHex, consensus.id, Uint8Array.of(index)),
    )
    expect(accepted).toEqual([true, true, true, true, false, false, false, false, false, false])
    expect(sender.events.filter((event) => event.kind === 'queue-full')).toHaveLength(6)
    expect(sender.events.find((event) => event.kind === 'queue-full')).toEqual({
      kind: 'queue-full',
      nodeKeyHex: a.nodeKeyHex,
      protocolId: consensus.id,
      detail: '4 frames queued',
    })
    await waitFor(() => receiver.frames.length === 4, 'the four queued frames')
    expect(receiver.frames.map((frame) => frame.frame[0])).toEqual([0, 1, 2, 3])
    // Once drained, the queue accepts again.
    await waitFor(
      () => sender.host.send(a.nodeKeyHex, consensus.id, Uint8Array.of(99)),
      'queue accepts again',
    )
    await waitFor(() => receiver.frames.length === 5, 'the fifth frame')
  })

  it('bounds the per-peer queue by bytes too, always admitting one frame into an empty queue', async () => {
    // Both hosts get the bound; only the sender sends.
    const { identities, hosts } = await startMesh(closer, 2, {
      protocols: [consensus],
      sendQueueBytesMax: 100,
    })
    const a = identities[0] as TestIdentity
    const [receiver, sender] = hosts as [RecordingHost, RecordingHost]
    const send = (frame: Uint8Array) => sender.host.send(a.nodeKeyHex, consensus.id, frame)
    // While the stream opens nothing leaves the queue. 1000 bytes exceed the byte bound alone but fit an empty
    // queue; then nothing more fits.
    expect(send(patternBytes(1000, 1))).toBe(true)
    expect(send(Uint8Array.of(2))).toBe(false)
    expect(sender.events.filter((event) => event.kind === 'queue-full').map((event) => event.detail)).toEqual(
      ['1002 bytes queued'],
    )
    await waitFor(() => receiver.frames.length === 1, 'the large frame')
    // Once the stream is open and drained, frames pass straight through again.
    await waitFor(() => send(Uint8Array.of(3)), 'queue accepts again')
    await waitFor(() => receiver.frames.length === 2, 'the next frame')
    expect(receiver.frames.map((frame) => frame.frame.byteLength)).toEqual([1000, 1])
  })

  it('refuses a peer connection beyond connectionsPerPeerMax at the gater', async () => {
    const { host, rawIdentity } = await startHostWithRawPeer()
    const raw = await startRawNode(closer, rawIdentity, [Buffer.from(host.host.nodeKeyHex, 'hex')])
    const address = hostDialAddress(host.host)
    // `force` opens a new connection each time instead of reusing one.
    for (let attempt = 0; attempt < connectionsPerPeerMax + 2; attempt++) {
      await raw.dial(address, { force: true }).catch(() => undefined)
    }
    await waitFor(
      () => host.events.filter((event) => event.kind === 'rejected').length === 2,
      'the two extra connections refused',
    )
    expect(host.events.filter((event) => event.kind === 'rejected').map((event) => event.detail)).toEqual([
      `inbound: peer ${raw.peerId.toString()} has ${connectionsPerPeerMax} connections already`,
      `inbound: peer ${raw.peerId.toString()} has ${connectionsPerPeerMax} connections already`,
    ])
    await waitFor(
      () =>
        raw.getConnections().filter((connection) => connection.status === 'open').length ===
        connectionsPerPeerMax,
      'the refused connections closed on the dialer too',
    )
    expect(host.host.connectedPeers()).toEqual([rawIdentity.nodeKeyHex])
  })

  it('refuses an inbound stream beyond inboundStreamsPerPeerPerProtocolMax across connections, and admits one after a close', async () => {
    const { host, rawIdentity } = await startHostWithRawPeer()
    const raw = await startRawNode(closer, rawIdentity, [Buffer.from(host.host.nodeKeyHex, 'hex')])
    const address = hostDialAddress(host.host)
    // Two connections, so libp2p's own limit per connection (also 4) does not come into play.
    const connections = [await raw.dial(address), await raw.dial(address, { force: true })]
    const streams: Stream[] = []
    for (let index = 0; index <= inboundStreamsPerPeerPerProtocolMax; index++) {
      streams.push(await connections[index % 2]!.newStream(consensus.id))
    }
    await waitFor(() => host.events.some((event) => event.kind === 'rejected'), 'the extra stream refused')
    expect(host.events.filter((event) => event.kind === 'rejected')).toEqual([
      {
        kind: 'rejected',
        nodeKeyHex: rawIdentity.nodeKeyHex,
        protocolId: consensus.id,
        detail: `stream: peer has ${inboundStreamsPerPeerPerProtocolMax} inbound streams open on ${consensus.id}`,
      },
    ])
    const refused = streams.at(-1)!
    await waitFor(() => refused.status !== 'open', 'the refused stream reset')
    // The admitted streams carry frames.
    for (const [index, stream] of streams.slice(0, -1).entries()) {
      stream.send(encodeFrame(Uint8Array.of(index)))
    }
    await waitFor(
      () => host.frames.length === inboundStreamsPerPeerPerProtocolMax,
      'a frame per admitted stream',
    )
    expect(host.frames.map((frame) => frame.frame[0]).sort()).toEqual([0, 1, 2, 3])
    // Closing one frees its place: the host closes its end when ours ends.
    await streams[0]!.close()
    await waitFor(() => streams[0]!.status === 'closed', 'the first stream fully closed')
    const replacement = await connections[1]!.newStream(consensus.id)
    replacement.send(encodeFrame(Uint8Array.of(9)))
    await waitFor(
      () => host.frames.length === inboundStreamsPerPeerPerProtocolMax + 1,
      'a frame on the new stream',
    )
    expect(host.events.filter((event) => event.kind === 'rejected')).toHaveLength(1)
    // The limit is per protocol: another protocol still opens.
    const other = lpStream(await connections[0]!.newStream(sync.id))
    await other.write(Uint8Array.of(7))
    await waitFor(
      () => host.frames.some((frame) => frame.protocolId === sync.id),
      'a frame on the other protocol',
    )
  })
})
