// Checks P2PHost options once, at creation, and resolves defaults and derived peer tables. Mistakes here are
// configuration errors (`P2PConfigError`), raised before any socket opens.

import type { PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import {
  banDurationBaseMsDefault,
  banDurationMaxMsDefault,
  burstFramesMaxDefault,
  floodReportIntervalMsDefault,
  frameBytesMaxLimit,
  framesPerSecondMaxDefault,
  penaltyWeightsDefault,
  reconnectDelayBaseMsDefault,
  reconnectDelayMaxMsDefault,
  scoreDecayPerSecondDefault,
  scoreThresholdDefault,
  sendQueueBytesMaxDefault,
  sendQueueLengthMaxDefault,
} from './constants.js'
import { describeError, P2PConfigError } from './errors.js'
import { nodeKeyToHex, peerIdObjectFromNodeKey } from './peer-identity.js'
import { isPenaltyReason } from './penalty.js'
import type { P2PHostOptions, PenaltyReason, ProtocolSpec } from './types.js'

export interface PermittedPeer {
  readonly nodeKeyHex: string
  readonly peerId: PeerId
  readonly peerIdString: string
  /** Addresses with `/p2p/<peer id>` appended; empty when the peer only dials in. */
  readonly dialAddresses: readonly Multiaddr[]
}

/** A protocol with its flood-control rates resolved. */
export interface ResolvedProtocolSpec {
  readonly id: string
  readonly frameBytesMax: number
  readonly framesPerSecondMax: number
  readonly burstFramesMax: number
}

export interface ResolvedHostConfig {
  readonly listenAddresses: readonly string[]
  readonly protocols: ReadonlyMap<string, ResolvedProtocolSpec>
  /** Listed peers other than ourselves, by peer id string. */
  readonly peersByPeerId: ReadonlyMap<string, PermittedPeer>
  readonly reconnectDelayBaseMs: number
  readonly reconnectDelayMaxMs: number
  readonly sendQueueLengthMax: number
  readonly sendQueueBytesMax: number
  readonly scoreThreshold: number
  readonly scoreDecayPerSecond: number
  readonly banDurationBaseMs: number
  readonly banDurationMaxMs: number
  readonly penaltyWeights: Readonly<Record<PenaltyReason, number>>
  readonly floodReportIntervalMs: number
  /** Testnet fault injection: inbound streams are never read. */
  readonly stallInboundStreams: boolean
}

const p2pProtocolName = 'p2p'

function parseMultiaddr(address: string, what: string): Multiaddr {
  try {
    return multiaddr(address)
  } catch (err) {
    throw new P2PConfigError(`${what} ${JSON.stringify(address)} is not a multiaddr: ${describeError(err)}`)
  }
}

function requireIntegerInRange(value: number, minimum: number, maximum: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new P2PConfigError(`${what} must be an integer in [${minimum}, ${maximum}], got ${value}`)
  }
  return value
}

function requireNumberInRange(value: number, minimum: number, maximum: number, what: string): number {
  if (typeof value !== 'number' || !(value >= minimum && value <= maximum)) {
    throw new P2PConfigError(`${what} must be a number in [${minimum}, ${maximum}], got ${value}`)
  }
  return value
}

function resolvePenaltyWeights(
  overrides: P2PHostOptions['penaltyWeights'],
): Readonly<Record<PenaltyReason, number>> {
  const weights: Record<PenaltyReason, number> = { ...penaltyWeightsDefault }
  for (const [reason, weight] of Object.entries(overrides ?? {})) {
    if (!isPenaltyReason(reason)) {
      throw new P2PConfigError(`penaltyWeights: unknown reason ${JSON.stringify(reason)}`)
    }
    if (weight !== undefined) {
      weights[reason] = requireNumberInRange(weight, 0, 1_000_000, `penaltyWeights.${reason}`)
    }
  }
  return weights
}

function resolveProtocols(protocols: readonly ProtocolSpec[]): Map<string, ResolvedProtocolSpec> {
  if (protocols.length === 0) {
    throw new P2PConfigError('at least one protocol is required')
  }
  const byId = new Map<string, ResolvedProtocolSpec>()
  for (const spec of protocols) {
    if (typeof spec.id !== 'string' || !spec.id.startsWith('/')) {
      throw new P2PConfigError(`protocol id ${JSON.stringify(spec.id)} must start with '/'`)
    }
    if (byId.has(spec.id)) {
      throw new P2PConfigError(`protocol ${spec.id} is listed twice`)
    }
    requireIntegerInRange(spec.frameBytesMax, 1, frameBytesMaxLimit, `frameBytesMax of ${spec.id}`)
    // Fractional rates (one frame every few seconds) are allowed; a bucket holds whole frames.
    const framesPerSecondMax = requireNumberInRange(
      spec.framesPerSecondMax ?? framesPerSecondMaxDefault,
      0.001,
      10_000_000,
      `framesPerSecondMax of ${spec.id}`,
    )
    const burstFramesMax = requireIntegerInRange(
      spec.burstFramesMax ?? burstFramesMaxDefault,
      1,
      10_000_000,
      `burstFramesMax of ${spec.id}`,
    )
    byId.set(spec.id, { id: spec.id, frameBytesMax: spec.frameBytesMax, framesPerSecondMax, burstFramesMax })
  }
  return byId
}

function dialAddress(address: string, peerIdString: string): Multiaddr {
  const parsed = parseMultiaddr(address, 'peer address')
  const listedPeerId = parsed.getComponents().find((component) => component.name === p2pProtocolName)?.value
  if (listedPeerId === undefined) {
    return parsed.encapsulate(`/${p2pProtocolName}/${peerIdString}`)
  }
  if (listedPeerId !== peerIdString) {
    throw new P2PConfigError(`peer address ${address} names peer ${listedPeerId}, not ${peerIdString}`)
  }
  return parsed
}

function resolvePeers(options: P2PHostOptions, ownNodeKeyHex: string): Map<string, PermittedPeer> {
  // A key listed twice is one peer with the union of its addresses.
  const byNodeKeyHex = new Map<string, { peerId: PeerId; addresses: Set<string> }>()
  for (const entry of options.peers) {
    const peerId = peerIdObjectFromNodeKey(entry.nodeKey)
    const nodeKeyHex = nodeKeyToHex(entry.nodeKey)
    const merged = byNodeKeyHex.get(nodeKeyHex) ?? { peerId, addresses: new Set<string>() }
    for (const address of entry.addresses) {
      merged.addresses.add(address)
    }
    byNodeKeyHex.set(nodeKeyHex, merged)
  }
  const peers = new Map<string, PermittedPeer>()
  for (const [nodeKeyHex, { peerId, addresses }] of byNodeKeyHex) {
    if (nodeKeyHex === ownNodeKeyHex) {
      continue
    }
    const peerIdString = peerId.toString()
    const dialAddresses = [...addresses].map((address) => dialAddress(address, peerIdString))
    peers.set(peerIdString, { nodeKeyHex, peerId, peerIdString, dialAddresses })
  }
  return peers
}

export function resolveHostConfig(options: P2PHostOptions, ownNodeKeyHex: string): ResolvedHostConfig {
  if (typeof options.onFrame !== 'function') {
    throw new P2PConfigError('onFrame is required')
  }
  if (options.listenAddresses.length === 0) {
    throw new P2PConfigError('at least one listen address is required')
  }
  for (const address of options.listenAddresses) {
    parseMultiaddr(address, 'listen address')
  }
  const reconnectDelayBaseMs = requireIntegerInRange(
    options.reconnectDelayBaseMs ?? reconnectDelayBaseMsDefault,
    1,
    3_600_000,
    'reconnectDelayBaseMs',
  )
  const reconnectDelayMaxMs = requireIntegerInRange(
    options.reconnectDelayMaxMs ?? reconnectDelayMaxMsDefault,
    reconnectDelayBaseMs,
    3_600_000,
    'reconnectDelayMaxMs',
  )
  const sendQueueLengthMax = requireIntegerInRange(
    options.sendQueueLengthMax ?? sendQueueLengthMaxDefault,
    1,
    1_000_000,
    'sendQueueLengthMax',
  )
  const sendQueueBytesMax = requireIntegerInRange(
    options.sendQueueBytesMax ?? sendQueueBytesMaxDefault,
    1,
    2 ** 40,
    'sendQueueBytesMax',
  )
  const scoreThreshold = requireNumberInRange(
    options.scoreThreshold ?? scoreThresholdDefault,
    -1_000_000,
    -0.001,
    'scoreThreshold',
  )
  const scoreDecayPerSecond = requireNumberInRange(
    options.scoreDecayPerSecond ?? scoreDecayPerSecondDefault,
    0,
    1_000_000,
    'scoreDecayPerSecond',
  )
  const banDurationBaseMs = requireIntegerInRange(
    options.banDurationBaseMs ?? banDurationBaseMsDefault,
    1,
    86_400_000,
    'banDurationBaseMs',
  )
  const banDurationMaxMs = requireIntegerInRange(
    options.banDurationMaxMs ?? Math.max(banDurationMaxMsDefault, banDurationBaseMs),
    banDurationBaseMs,
    86_400_000,
    'banDurationMaxMs',
  )
  const floodReportIntervalMs = requireIntegerInRange(
    options.floodReportIntervalMs ?? floodReportIntervalMsDefault,
    10,
    3_600_000,
    'floodReportIntervalMs',
  )
  return {
    listenAddresses: [...options.listenAddresses],
    protocols: resolveProtocols(options.protocols),
    peersByPeerId: resolvePeers(options, ownNodeKeyHex),
    reconnectDelayBaseMs,
    reconnectDelayMaxMs,
    sendQueueLengthMax,
    sendQueueBytesMax,
    scoreThreshold,
    scoreDecayPerSecond,
    banDurationBaseMs,
    banDurationMaxMs,
    penaltyWeights: resolvePenaltyWeights(options.penaltyWeights),
    floodReportIntervalMs,
    stallInboundStreams: options.stallInboundStreams === true,
  }
}
