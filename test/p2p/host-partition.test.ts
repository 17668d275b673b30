// The testnet partition switch, `setBlockedPeers`, between real hosts.

import { afterEach, describe, expect, it } from 'vitest'
import { P2PConfigError, type ProtocolSpec } from '../../p2p/index.js'
import { Closer, type RecordingHost, sleep, startMesh, type TestIdentity, waitFor } from './helpers.js'

const consensus: ProtocolSpec = { id: '/quorate/consensus/1.0.0', frameBytesMax: 1024 }

describe('P2PHost blocked peers (partitions)', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  const startTrio = () =>
    startMesh(closer, 3, {
      protocols: [consensus],
      reconnectDelayBaseMs: 50,
      reconnectDelayMaxMs: 200,
    })

  const tagged = (host: RecordingHost, tag: number) =>
    host.frames.filter((frame) => frame.frame[0] === tag).map((frame) => frame.fromNodeKeyHex)

  it('drops frames to and from a blocked peer while the links stay up, and unblocking restores them', async () => {
    const { identities, hosts } = await startTrio()
    const [a, b, c] = hosts as [RecordingHost, RecordingHost, RecordingHost]
    const [idA, idB, idC] = identities as [TestIdentity, TestIdentity, TestIdentity]

    // A cuts itself off from B only.
    a.host.setBlockedPeers([idB.nodeKeyHex])
    expect(a.host.send(idB.nodeKeyHex, consensus.id, Uint8Array.of(1))).toBe(false)
    // B does not know: its frames leave, and A drops them unread.
    expect(b.host.send(idA.nodeKeyHex, consensus.id, Uint8Array.of(1))).toBe(true)
    a.host.broadcast(consensus.id, Uint8Array.of(2))
    expect(c.host.send(idA.nodeKeyHex, consensus.id, Uint8Array.of(3))).toBe(true)
    await waitFor(() => tagged(c, 2).length === 1 && tagged(a, 3).length === 1, 'A and C still talk')
    await sleep(300)
    expect(tagged(a, 1)).toEqual([])
    expect(tagged(b, 2)).toEqual([])
    expect(a.host.connectedPeers().sort()).toEqual([idB.nodeKeyHex, idC.nodeKeyHex].sort())

    a.host.setBlockedPeers([])
    expect(a.host.send(idB.nodeKeyHex, consensus.id, Uint8Array.of(4))).toBe(true)
    expect(b.host.send(idA.nodeKeyHex, consensus.id, Uint8Array.of(4))).toBe(true)
    await waitFor(() => tagged(a, 4).length === 1 && tagged(b, 4).length === 1, 'A and B talk again')
    expect(tagged(a, 4)).toEqual([idB.nodeKeyHex])
    expect(tagged(b, 4)).toEqual([idA.nodeKeyHex])
  })

  it('with disconnect, a blocked peer is disconnected and refused both ways until unblocked, then redialed', async () => {
    const { identities, hosts } = await startTrio()
    const [a, b] = hosts as [RecordingHost, RecordingHost, RecordingHost]
    const [idA, idB, idC] = identities as [TestIdentity, TestIdentity, TestIdentity]

    a.host.setBlockedPeers([idB.nodeKeyHex], { disconnect: true })
    expect(a.host.connectedPeers()).toEqual([idC.nodeKeyHex])
    await waitFor(() => !b.host.connectedPeers().includes(idA.nodeKeyHex), 'B sees the disconnect')
    const eventsBefore = a.events.length
    await sleep(600)
    // B keeps redialing and is refused; A does not dial B.
    const during = a.events.slice(eventsBefore)
    expect(during.filter((event) => event.kind === 'connected')).toEqual([])
    const refusals = during.filter((event) => event.kind === 'rejected')
    expect(refusals.length).toBeGreaterThan(0)
    expect(
      refusals.every((event) => event.detail?.startsWith('inbound: ') && event.detail.endsWith('is blocked')),
    ).toBe(true)
    expect(a.host.connectedPeers()).toEqual([idC.nodeKeyHex])

    a.host.setBlockedPeers([])
    await waitFor(
      () =>
        a.host.connectedPeers().includes(idB.nodeKeyHex) && b.host.connectedPeers().includes(idA.nodeKeyHex),
      'A and B reconnected',
      5_000,
    )
    await waitFor(() => a.host.send(idB.nodeKeyHex, consensus.id, Uint8Array.of(5)), 'A can send to B')
    await waitFor(() => tagged(b, 5).length === 1, 'the frame arrives')
  })

  it('rejects malformed node keys as a caller mistake', async () => {
    const { hosts } = await startTrio()
    expect(() => hosts[0]!.host.setBlockedPeers(['not-a-key'])).toThrow(P2PConfigError)
    expect(() => hosts[0]!.host.setBlockedPeers(['AB'.repeat(32)])).toThrow(P2PConfigError)
  })
})
