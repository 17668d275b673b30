// The permissioned set is enforced by the connection gater, in both directions, over real libp2p.

import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import type { GaterCheckpoint } from '../../p2p/gater.js'
import type { ProtocolSpec } from '../../p2p/index.js'
import {
  Closer,
  createIdentity,
  loopbackAnyPort,
  type RecordingHost,
  sleep,
  startRawNode,
  startRecordingHost,
  waitFor,
} from './helpers.js'

const protocol: ProtocolSpec = { id: '/quorate/consensus/1.0.0', frameBytesMax: 1024 }

describe('P2PHost permissioned set', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  it('refuses a stranger that dials in: rejected at the gater, no connection, its frames never delivered', async () => {
    const [member, otherMember, stranger] = await Promise.all([
      createIdentity(),
      createIdentity(),
      createIdentity(),
    ])
    const host = await startRecordingHost(closer, {
      nodeSecretKey: member.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: otherMember.nodeKey, addresses: [] }],
      protocols: [protocol],
      reconnectDelayBaseMs: 50,
    })
    // The stranger believes the member is its peer and keeps dialing it.
    const intruder = await startRecordingHost(closer, {
      nodeSecretKey: stranger.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: member.nodeKey, addresses: host.host.listenAddresses() }],
      protocols: [protocol],
      reconnectDelayBaseMs: 50,
    })
    await waitFor(
      () =>
        host.events.some((event) => event.kind === 'rejected' && event.nodeKeyHex === stranger.nodeKeyHex),
      'the stranger rejected',
    )
    const rejection = host.events.find((event) => event.kind === 'rejected')
    expect(rejection?.detail).toMatch(/^inbound: /)
    // Give the stranger time to retry and to try sending whenever it thinks it is connected.
    const deadlineMs = Date.now() + 1_500
    while (Date.now() < deadlineMs) {
      intruder.host.send(member.nodeKeyHex, protocol.id, Uint8Array.of(1, 2, 3))
      await sleep(10)
    }
    expect(host.frames).toEqual([])
    expect(host.host.connectedPeers()).toEqual([])
    expect(host.events.filter((event) => event.kind === 'connected')).toEqual([])
  })

  it('refuses to connect when a listed address answers with another identity', async () => {
    const [member, expectedPeer, stranger] = await Promise.all([
      createIdentity(),
      createIdentity(),
      createIdentity(),
    ])
    // The stranger would accept the member, so only the member's own checks can refuse this link.
    const impostor = await startRecordingHost(closer, {
      nodeSecretKey: stranger.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: member.nodeKey, addresses: [] }],
      protocols: [protocol],
    })
    const host = await startRecordingHost(closer, {
      nodeSecretKey: member.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: expectedPeer.nodeKey, addresses: impostor.host.listenAddresses() }],
      protocols: [protocol],
      reconnectDelayBaseMs: 50,
    })
    await waitFor(
      () =>
        host.events.some(
          (event) => event.kind === 'rejected' && event.nodeKeyHex === expectedPeer.nodeKeyHex,
        ),
      'the impostor rejected',
    )
    expect(host.host.send(expectedPeer.nodeKeyHex, protocol.id, Uint8Array.of(1))).toBe(false)
    await sleep(300)
    expect(host.host.connectedPeers()).toEqual([])
    expect(host.events.filter((event) => event.kind === 'connected')).toEqual([])
    expect(impostor.host.connectedPeers()).toEqual([])
    expect(impostor.frames).toEqual([])
  })

  it('the gater denies an outbound connection to an unlisted peer id after the Noise handshake', async () => {
    const [member, stranger] = await Promise.all([createIdentity(), createIdentity()])
    const strangerHost = await startRecordingHost(closer, {
      nodeSecretKey: stranger.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: member.nodeKey, addresses: [] }],
      protocols: [protocol],
    })
    const denials: Array<{ peerId: string; checkpoint: GaterCheckpoint }> = []
    const node = await startRawNode(closer, member, [], (peerId, checkpoint) =>
      denials.push({ peerId, checkpoint }),
    )
    // A bare address (no /p2p): the remote identity is learnt only in the handshake, then checked.
    const bareAddress = multiaddr(strangerHost.host.listenAddresses()[0]!)
    await expect(node.dial(bareAddress)).rejects.toThrow()
    expect(denials).toEqual([{ peerId: strangerHost.host.peerId, checkpoint: 'outbound' }])
    expect(node.getConnections()).toEqual([])
    // With the peer id in the address, the dial is refused before any socket opens.
    await expect(
      node.dial(multiaddr(`${bareAddress.toString()}/p2p/${strangerHost.host.peerId}`)),
    ).rejects.toThrow()
    expect(denials.at(-1)).toEqual({ peerId: strangerHost.host.peerId, checkpoint: 'dial' })
    expect(strangerHost.frames).toEqual([])
  })

  it('a listed peer without addresses is never dialed but may dial in', async () => {
    const [quiet, dialer] = await Promise.all([createIdentity(), createIdentity()])
    const hosts: RecordingHost[] = []
    hosts.push(
      await startRecordingHost(closer, {
        nodeSecretKey: quiet.secretKey,
        listenAddresses: [loopbackAnyPort],
        peers: [{ nodeKey: dialer.nodeKey, addresses: [] }],
        protocols: [protocol],
      }),
    )
    hosts.push(
      await startRecordingHost(closer, {
        nodeSecretKey: dialer.secretKey,
        listenAddresses: [loopbackAnyPort],
        peers: [{ nodeKey: quiet.nodeKey, addresses: hosts[0]!.host.listenAddresses() }],
        protocols: [protocol],
      }),
    )
    await waitFor(() => hosts[0]!.host.connectedPeers().includes(dialer.nodeKeyHex), 'dialer connected')
    expect(hosts[0]!.host.send(dialer.nodeKeyHex, protocol.id, Uint8Array.of(9))).toBe(true)
    await waitFor(() => hosts[1]!.frames.length === 1, 'frame over the inbound connection')
    expect(hosts[1]!.frames[0]?.fromNodeKeyHex).toBe(quiet.nodeKeyHex)
  })
})
