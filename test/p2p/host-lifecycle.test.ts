// Reconnects, shutdown and configuration checks, over real libp2p.

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { P2PConfigError, P2PHost, type ProtocolSpec, peerIdFromNodeKey } from '../../p2p/index.js'
import {
  Closer,
  createIdentity,
  loopbackAnyPort,
  type RecordingHost,
  sleep,
  startMesh,
  startRecordingHost,
  type TestIdentity,
  waitFor,
} from './helpers.js'

const consensus: ProtocolSpec = { id: '/quorate/consensus/1.0.0', frameBytesMax: 1024 }

describe('P2PHost lifecycle', () => {
  const closer = new Closer()
  afterEach(() => closer.closeAll())

  it('reconnects to a peer restarted with the same key on the same port, and frames flow again', async () => {
    const [a, b] = await Promise.all([createIdentity(), createIdentity()])
    // Only `dialer` knows an address: restoring the link is its reconnector's job alone.
    const listener = await startRecordingHost(closer, {
      nodeSecretKey: b.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: a.nodeKey, addresses: [] }],
      protocols: [consensus],
    })
    const listenerAddresses = listener.host.listenAddresses()
    const dialer = await startRecordingHost(closer, {
      nodeSecretKey: a.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: b.nodeKey, addresses: listenerAddresses }],
      protocols: [consensus],
    })
    await waitFor(() => dialer.host.connectedPeers().length === 1, 'connected')
    expect(dialer.host.send(b.nodeKeyHex, consensus.id, Uint8Array.of(1))).toBe(true)
    await waitFor(() => listener.frames.length === 1, 'frame before the restart')

    await listener.host.close()
    await waitFor(() => dialer.host.connectedPeers().length === 0, 'disconnect noticed')
    expect(dialer.events.filter((event) => event.kind === 'disconnected')).toEqual([
      { kind: 'disconnected', nodeKeyHex: b.nodeKeyHex },
    ])
    expect(dialer.host.send(b.nodeKeyHex, consensus.id, Uint8Array.of(2))).toBe(false)
    // Down long enough for several failed redials.
    await sleep(1_000)

    const restarted = await startRecordingHost(closer, {
      nodeSecretKey: b.secretKey,
      listenAddresses: listenerAddresses,
      peers: [{ nodeKey: a.nodeKey, addresses: [] }],
      protocols: [consensus],
    })
    expect(restarted.host.listenAddresses()).toEqual(listenerAddresses)
    // Each side learns of the connection when its own upgrade finishes: wait for both.
    await waitFor(
      () => dialer.host.connectedPeers().length === 1 && restarted.host.connectedPeers().length === 1,
      'reconnected within 5 s',
      5_000,
    )
    expect(dialer.host.send(b.nodeKeyHex, consensus.id, Uint8Array.of(3))).toBe(true)
    expect(restarted.host.send(a.nodeKeyHex, consensus.id, Uint8Array.of(4))).toBe(true)
    await waitFor(
      () => restarted.frames.length === 1 && dialer.frames.length === 1,
      'frames after the restart',
    )
    expect(restarted.frames[0]?.frame).toEqual(Uint8Array.of(3))
    expect(dialer.frames[0]?.frame).toEqual(Uint8Array.of(4))
  })

  it('close is idempotent, stops sending, and the peer sees the disconnect', async () => {
    const { identities, hosts } = await startMesh(closer, 2, { protocols: [consensus] })
    const [a, _b] = identities as [TestIdentity, TestIdentity]
    const [first, second] = hosts as [RecordingHost, RecordingHost]
    await Promise.all([second.host.close(), second.host.close()])
    await second.host.close()
    expect(second.host.connectedPeers()).toEqual([])
    expect(second.host.send(a.nodeKeyHex, consensus.id, Uint8Array.of(1))).toBe(false)
    second.host.broadcast(consensus.id, Uint8Array.of(1))
    await waitFor(() => first.host.connectedPeers().length === 0, 'peer saw the disconnect')
    expect(first.frames).toEqual([])
  })

  it('aborting the signal closes the host', async () => {
    const [a, b] = await Promise.all([createIdentity(), createIdentity()])
    const first = await startRecordingHost(closer, {
      nodeSecretKey: a.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: b.nodeKey, addresses: [] }],
      protocols: [consensus],
    })
    const controller = new AbortController()
    const second = await startRecordingHost(closer, {
      nodeSecretKey: b.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [{ nodeKey: a.nodeKey, addresses: first.host.listenAddresses() }],
      protocols: [consensus],
      signal: controller.signal,
    })
    await waitFor(() => first.host.connectedPeers().length === 1, 'connected')
    controller.abort()
    await waitFor(() => first.host.connectedPeers().length === 0, 'closed by the signal')
    expect(second.host.send(a.nodeKeyHex, consensus.id, Uint8Array.of(1))).toBe(false)
  })

  it('rejects invalid configuration before opening any socket', async () => {
    const identity = await createIdentity()
    const valid = {
      nodeSecretKey: identity.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [],
      protocols: [consensus],
      onFrame: () => {},
    }
    const other = await createIdentity()
    const cases = [
      { ...valid, nodeSecretKey: new Uint8Array(31) },
      { ...valid, peers: [{ nodeKey: new Uint8Array(33), addresses: [] }] },
      { ...valid, protocols: [consensus, consensus] },
      { ...valid, protocols: [{ id: consensus.id, frameBytesMax: 0 }] },
      { ...valid, protocols: [{ id: 'no-slash', frameBytesMax: 10 }] },
      { ...valid, listenAddresses: ['not a multiaddr'] },
      { ...valid, reconnectDelayBaseMs: 500, reconnectDelayMaxMs: 100 },
      { ...valid, protocols: [{ ...consensus, framesPerSecondMax: 0 }] },
      { ...valid, protocols: [{ ...consensus, burstFramesMax: 0.5 }] },
      { ...valid, scoreThreshold: 0 },
      { ...valid, scoreDecayPerSecond: -1 },
      { ...valid, banDurationBaseMs: 500, banDurationMaxMs: 100 },
      { ...valid, penaltyWeights: { 'no-such-reason': 1 } as unknown as { flood: number } },
      { ...valid, penaltyWeights: { flood: Number.NaN } },
      { ...valid, floodReportIntervalMs: 0 },
      // An address that names a different peer id than the key it is listed under.
      {
        ...valid,
        peers: [
          {
            nodeKey: other.nodeKey,
            addresses: [`/ip4/127.0.0.1/tcp/1/p2p/${peerIdFromNodeKey(identity.nodeKey)}`],
          },
        ],
      },
    ]
    for (const options of cases) {
      await expect(P2PHost.create(options)).rejects.toThrow(P2PConfigError)
    }
  })

  it('fails to start on a port in use, and leaves nothing running', async () => {
    const [a, b] = await Promise.all([createIdentity(), createIdentity()])
    const first = await startRecordingHost(closer, {
      nodeSecretKey: a.secretKey,
      listenAddresses: [loopbackAnyPort],
      peers: [],
      protocols: [consensus],
    })
    const attempt = P2PHost.create({
      nodeSecretKey: b.secretKey,
      listenAddresses: first.host.listenAddresses(),
      peers: [{ nodeKey: a.nodeKey, addresses: first.host.listenAddresses() }],
      protocols: [consensus],
      onFrame: () => {},
    })
    await expect(attempt).rejects.toThrow(/EADDRINUSE/)
    // The failed host never dialed: the first host saw no connection.
    await sleep(200)
    expect(first.events).toEqual([])
  })

  it('leaves no handles behind: a process that opened and closed hosts exits on its own', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/open-send-close.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve(null)
      }, 20_000)
      child.on('exit', (code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
    expect({ exitCode, output }).toEqual({ exitCode: 0, output: 'frame delivered\nclosed\n' })
  })
})
