// Shared fixtures for the p2p tests: keys, hosts that are always closed, and polling with a deadline.

import { createHash, randomBytes } from 'node:crypto'
import type { Libp2p } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createPermissionedGater, type GaterCheckpoint } from '../../p2p/gater.js'
import { P2PHost, type P2PHostOptions, type PeerEvent, peerIdFromNodeKey } from '../../p2p/index.js'
import { createLibp2pNode } from '../../p2p/libp2p-node.js'
import { nodeKeyToHex, privateKeyFromNodeSecretKey } from '../../p2p/peer-identity.js'

export const loopbackAnyPort = '/ip4/127.0.0.1/tcp/0'

export interface TestIdentity {
  secretKey: Uint8Array
  nodeKey: Uint8Array
  nodeKeyHex: string
}

export async function createIdentity(): Promise<TestIdentity> {
  const secretKey = new Uint8Array(randomBytes(32))
  const nodeKey = (await privateKeyFromNodeSecretKey(secretKey)).publicKey.raw
  return { secretKey, nodeKey, nodeKeyHex: nodeKeyToHex(nodeKey) }
}

export interface ReceivedFrame {
  protocolId: string
  fromNodeKeyHex: string
  frame: Uint8Array
}

/** A host plus everything it reported, for assertions. */
export interface RecordingHost {
  host: P2PHost
  frames: ReceivedFrame[]
  events: PeerEvent[]
}

/** Tracks every host and raw node a test opens, so `afterEach` can close them all. */
export class Closer {
  private readonly closers: Array<() => Promise<void>> = []

  add(close: () => Promise<void>): void {
    this.closers.push(close)
  }

  /** Closes in reverse order of opening, one at a time (concurrent closes of connected peers are slower). */
  async closeAll(): Promise<void> {
    const errors: unknown[] = []
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close()
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) {
      throw new AggregateError(errors, 'closing test hosts failed')
    }
  }
}

export async function startRecordingHost(
  closer: Closer,
  options: Omit<P2PHostOptions, 'onFrame' | 'onPeerEvent'>,
): Promise<RecordingHost> {
  const frames: ReceivedFrame[] = []
  const events: PeerEvent[] = []
  const host = await P2PHost.create({
    ...options,
    onFrame: (protocolId, fromNodeKeyHex, frame) => frames.push({ protocolId, fromNodeKeyHex, frame }),
    onPeerEvent: (event) => events.push(event),
  })
  closer.add(() => host.close())
  return { host, frames, events }
}

/** Options of every host in a test network: all but the identity, the listen address and the peer list. */
export type SharedHostOptions = Omit<
  P2PHostOptions,
  'onFrame' | 'onPeerEvent' | 'nodeSecretKey' | 'listenAddresses' | 'peers'
>

/**
 * `count` hosts that all connect: each lists every key (its own too, as in a genesis file: the host must skip
 * it) and dials those started before it. Resolves once every pair is connected.
 */
export async function startMesh(
  closer: Closer,
  count: number,
  options: SharedHostOptions,
): Promise<{ identities: TestIdentity[]; hosts: RecordingHost[] }> {
  const identities = await Promise.all(Array.from({ length: count }, () => createIdentity()))
  const hosts: RecordingHost[] = []
  for (const identity of identities) {
    hosts.push(
      await startRecordingHost(closer, {
        ...options,
        nodeSecretKey: identity.secretKey,
        listenAddresses: [loopbackAnyPort],
        peers: identities.map((peer, index) => ({
          nodeKey: peer.nodeKey,
          addresses: hosts[index]?.host.listenAddresses() ?? [],
        })),
      }),
    )
  }
  await waitFor(
    () => hosts.every(({ host }) => host.connectedPeers().length === count - 1),
    'all pairs connected',
  )
  return { identities, hosts }
}

export class WaitTimeoutError extends Error {
  static override name = 'WaitTimeoutError'
  override name = 'WaitTimeoutError'
}

/** Polls `condition` until it holds; rejects with `description` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  description: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadlineMs = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadlineMs) {
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for: ${description}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export { setTimeout as sleep } from 'node:timers/promises'

/** Deterministic, position-dependent bytes so reordering or corruption shows up in comparisons. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let index = 0; index < length; index++) {
    bytes[index] = (index * 31 + seed * 17 + (index >>> 8)) & 0xff
  }
  return bytes
}

/** A bare libp2p node with the project's transport stack and gater, for speaking raw bytes to a host. */
export async function startRawNode(
  closer: Closer,
  identity: TestIdentity,
  permittedNodeKeys: Uint8Array[],
  onDenied?: (peerId: string, checkpoint: GaterCheckpoint) => void,
): Promise<Libp2p> {
  const node = await createLibp2pNode({
    privateKey: await privateKeyFromNodeSecretKey(identity.secretKey),
    listenAddresses: [loopbackAnyPort],
    connectionGater: createPermissionedGater({
      permittedPeerIds: new Set(permittedNodeKeys.map(peerIdFromNodeKey)),
      onDenied: (peerId, checkpoint) => onDenied?.(peerId.toString(), checkpoint),
    }),
    connectionsMax: 16,
  })
  closer.add(async () => {
    await node.stop()
  })
  await node.start()
  return node
}

export function hostDialAddress(host: P2PHost): Multiaddr {
  const address = host.listenAddresses()[0]
  if (address === undefined) {
    throw new Error('host has no listen address')
  }
  return multiaddr(`${address}/p2p/${host.peerId}`)
}

/**
 * Frames as `length:sha256` strings: byte-exact comparison without element-by-element deep equality, which
 * takes seconds per megabyte in the test runner.
 */
export function frameDigests(frames: readonly Uint8Array[]): string[] {
  return frames.map((frame) => `${frame.byteLength}:${createHash('sha256').update(frame).digest('hex')}`)
}
