// Three permissioned hosts over real libp2p (TCP + Noise + Yamux on 127.0.0.1).

import { afterEach, describe, expect, it } from 'vitest'
import type { ProtocolSpec } from '../../p2p/index.js'
import { Closer, frameDigests, patternBytes, startMesh, waitFor } from './helpers.js'

const consensus: ProtocolSpec = { id: '/quorate/consensus/1.0.0', frameBytesMax: 300_000 }
const tx: ProtocolSpec = { id: '/quorate/tx/1.0.0', frameBytesMax: 1024 }

describe('P2PHost delivery between three permissioned hosts', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  const startTrio = () => startMesh(closer, 3, { protocols: [consensus, tx] })

  it('connects every pair, reporting each peer once as connected and never itself', async () => {
    const { identities, hosts } = await startTrio()
    for (const [index, { host, events }] of hosts.entries()) {
      const others = identities.filter((_, other) => other !== index).map((identity) => identity.nodeKeyHex)
      expect(host.nodeKeyHex).toBe(identities[index]?.nodeKeyHex)
      expect(host.connectedPeers().sort()).toEqual([...others].sort())
      const connected = events.filter((event) => event.kind === 'connected').map((event) => event.nodeKeyHex)
      expect(new Set(connected)).toEqual(new Set(others))
      expect(events.filter((event) => event.kind === 'rejected')).toEqual([])
    }
  })

  it('delivers frames on two protocols in order and intact, including one of exactly frameBytesMax', async () => {
    const { identities, hosts } = await startTrio()
    const [sender, receiver] = [hosts[0]!, hosts[1]!]
    const receiverKeyHex = identities[1]!.nodeKeyHex
    const consensusFrames = [
      patternBytes(1, 1),
      patternBytes(70_000, 2), // larger than a Yamux message: arrives in several chunks
      patternBytes(consensus.frameBytesMax, 3),
      new Uint8Array(0),
      patternBytes(123, 4),
    ]
    const txFrames = Array.from({ length: 50 }, (_, index) =>
      patternBytes(1 + ((index * 37) % tx.frameBytesMax), index),
    )
    txFrames.push(patternBytes(tx.frameBytesMax, 99))
    // Interleave the two protocols: each keeps its own order.
    for (let index = 0; index < Math.max(consensusFrames.length, txFrames.length); index++) {
      const consensusFrame = consensusFrames[index]
      if (consensusFrame !== undefined) {
        expect(sender.host.send(receiverKeyHex, consensus.id, consensusFrame)).toBe(true)
      }
      const txFrame = txFrames[index]
      if (txFrame !== undefined) {
        expect(sender.host.send(receiverKeyHex, tx.id, txFrame)).toBe(true)
      }
    }
    const total = consensusFrames.length + txFrames.length
    await waitFor(() => receiver.frames.length === total, `${total} frames received`)
    const from = identities[0]!.nodeKeyHex
    const received = (protocolId: string) =>
      receiver.frames.filter((frame) => frame.protocolId === protocolId && frame.fromNodeKeyHex === from)
    expect(frameDigests(received(consensus.id).map((frame) => frame.frame))).toEqual(
      frameDigests(consensusFrames),
    )
    expect(frameDigests(received(tx.id).map((frame) => frame.frame))).toEqual(frameDigests(txFrames))
    expect(hosts[2]!.frames).toEqual([])
  })

  it('broadcast reaches every connected peer once, and not the sender', async () => {
    const { identities, hosts } = await startTrio()
    const frame = patternBytes(tx.frameBytesMax, 7)
    hosts[2]!.host.broadcast(tx.id, frame)
    await waitFor(() => hosts[0]!.frames.length === 1 && hosts[1]!.frames.length === 1, 'broadcast received')
    for (const receiver of [hosts[0]!, hosts[1]!]) {
      expect(
        receiver.frames.map(({ protocolId, fromNodeKeyHex }) => ({ protocolId, fromNodeKeyHex })),
      ).toEqual([{ protocolId: tx.id, fromNodeKeyHex: identities[2]!.nodeKeyHex }])
      expect(frameDigests(receiver.frames.map((received) => received.frame))).toEqual(frameDigests([frame]))
    }
    expect(hosts[2]!.frames).toEqual([])
  })

  it('respects backpressure: a burst far larger than the stream window arrives complete and in order', async () => {
    const { identities, hosts } = await startTrio()
    const frames = Array.from({ length: 200 }, (_, index) => patternBytes(60_000, index))
    for (const frame of frames) {
      expect(hosts[0]!.host.send(identities[2]!.nodeKeyHex, consensus.id, frame)).toBe(true)
    }
    await waitFor(() => hosts[2]!.frames.length === frames.length, `${frames.length} frames received`, 30_000)
    expect(frameDigests(hosts[2]!.frames.map((frame) => frame.frame))).toEqual(frameDigests(frames))
  })
})
