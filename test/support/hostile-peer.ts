// A hostile peer for end-to-end tests and benchmarks. It is a libp2p node holding the node key of a validator of
// the permissioned set, so the honest validators' gater admits it, and it writes on their protocol streams bytes
// the honest framing never produces: bodies that do not decode, frames cut short, lengths above a protocol's
// maximum, invalid varint prefixes, and well-formed messages carrying invalid signatures, once or as a flood.
// It writes with `Stream.send` directly; nothing goes through P2PHost's outbound channels.

import type { Libp2p, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { DecodeError, decodeConsensusMessage, decodeTx, encodeTx } from '../../ledger/codec/index.js'
import { consensusFrameBytesMax, syncFrameBytesMax, txFrameBytesMax } from '../../ledger/limits.js'
import type { ConsensusMessage } from '../../ledger/types.js'
import { decodeEvidenceGossip, evidenceGossipFrameBytesMax } from '../../node/evidence/index.js'
import { protocolIds as protocols } from '../../node/protocols.js'
import { decodeSyncMessage } from '../../node/sync/sync-messages.js'
import { dialTimeoutMs, streamOpenTimeoutMs } from '../../p2p/constants.js'
import { encodeFrame, encodeFramePrefix } from '../../p2p/frame-codec.js'
import { createPermissionedGater } from '../../p2p/gater.js'
import { createLibp2pNode } from '../../p2p/libp2p-node.js'
import { privateKeyFromNodeSecretKey } from '../../p2p/peer-identity.js'
import type { Prng } from '../sim/prng.js'
import { arbitraryConsensusMessage, arbitraryTx, arbitraryVote } from './arbitraries.js'

export type HostileProtocolName = 'consensus' | 'tx' | 'sync' | 'evidence'

export interface HostileProtocol {
  readonly name: HostileProtocolName
  readonly id: string
  /** The receiver's maximum frame body; the decoder refuses a prefix above it. */
  readonly frameBytesMax: number
  /** Whether the receiver's decoder accepts this body (only DecodeError counts as "no"). */
  readonly decodes: (body: Uint8Array) => boolean
}

function decodesWith(decode: (body: Uint8Array) => unknown): (body: Uint8Array) => boolean {
  return (body) => {
    try {
      decode(body)
      return true
    } catch (error) {
      if (error instanceof DecodeError) return false
      throw error
    }
  }
}

export const hostileProtocols: readonly HostileProtocol[] = [
  {
    name: 'consensus',
    id: protocols.consensus,
    frameBytesMax: consensusFrameBytesMax,
    decodes: decodesWith(decodeConsensusMessage),
  },
  { name: 'tx', id: protocols.tx, frameBytesMax: txFrameBytesMax, decodes: decodesWith(decodeTx) },
  {
    name: 'sync',
    id: protocols.sync,
    frameBytesMax: syncFrameBytesMax,
    decodes: decodesWith(decodeSyncMessage),
  },
  {
    name: 'evidence',
    id: protocols.evidence,
    frameBytesMax: evidenceGossipFrameBytesMax,
    decodes: decodesWith(decodeEvidenceGossip),
  },
]

export function hostileProtocol(name: HostileProtocolName): HostileProtocol {
  const protocol = hostileProtocols.find((candidate) => candidate.name === name)
  if (protocol === undefined) throw new Error(`no protocol ${name}`)
  return protocol
}

/** One stream's worth of hostile bytes; the kinds that break framing each end the stream at the receiver. */
export type HostileStreamKind =
  /** Valid length prefixes, random bodies that do not decode. */
  | 'undecodable-bodies'
  /** Messages that decode, with signatures that do not verify. */
  | 'bad-signatures'
  /** A prefix announcing more body bytes than follow before the stream closes. */
  | 'truncated-body'
  /** A prefix byte with its continuation bit set, then the stream closes. */
  | 'truncated-prefix'
  /** A prefix one byte above the protocol's maximum, then junk. */
  | 'oversized'
  /** A prefix of continuation bytes longer than any length the protocol allows. */
  | 'prefix-overlong'
  /** A multi-byte prefix whose last byte is zero (not the minimal encoding). */
  | 'prefix-non-minimal'

export interface HostileStreamPayload {
  readonly kind: HostileStreamKind
  readonly protocol: HostileProtocol
  /** Written in order, one `send` each; frame boundaries fall anywhere inside them. */
  readonly chunks: readonly Uint8Array[]
  /** Complete frames among the chunks: each one the receiver must reject. */
  readonly frameCount: number
}

export function randomBytes(prng: Prng, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = prng.int(0, 255)
  return bytes
}

/** Cuts `bytes` at random points (inside prefixes too), as TCP segmentation could. */
function splitAtRandom(prng: Prng, bytes: Uint8Array, chunkBytesMax = 1_500): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < bytes.byteLength; ) {
    const length = prng.int(1, chunkBytesMax)
    chunks.push(bytes.subarray(offset, offset + length))
    offset += length
  }
  return chunks
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0)
  const joined = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.byteLength
  }
  return joined
}

/** Random bodies of 0 to `bodyBytesMax` bytes that the protocol's decoder rejects. */
export function undecodableBodies(
  protocol: HostileProtocol,
  prng: Prng,
  count: number,
  bodyBytesMax = 256,
): Uint8Array[] {
  const lengthMax = Math.min(bodyBytesMax, protocol.frameBytesMax)
  const bodies: Uint8Array[] = []
  while (bodies.length < count) {
    const body = randomBytes(prng, prng.int(0, lengthMax))
    if (!protocol.decodes(body)) bodies.push(body)
  }
  return bodies
}

/** A signature whose S half is below the group order, so a receiver must run the full check to reject it. */
function withCanonicalS(signature: Uint8Array): Uint8Array {
  const copy = signature.slice()
  copy[63] = copy[63]! & 0x0f
  return copy
}

/**
 * Consensus messages that decode but do not verify: fast-check's arbitrary messages (mostly unknown signers,
 * wrong leaders, broken certificates), and votes from real validator indices with canonical but wrong
 * signatures, which cost the receiver a full Ed25519 verification each.
 */
export function badSignatureConsensusMessages(options: {
  seed: number
  count: number
  validatorCount: number
}): ConsensusMessage[] {
  const votesOfValidators = arbitraryVote.map((vote) => ({
    kind: 'vote' as const,
    vote: { ...vote, voter: vote.voter % options.validatorCount, signature: withCanonicalS(vote.signature) },
  }))
  return fc.sample(fc.oneof(arbitraryConsensusMessage, votesOfValidators), {
    seed: options.seed,
    numRuns: options.count,
  })
}

/** Encoded transfers for `chainId` whose signatures do not verify (random senders, canonical S). */
export function badSignatureTxs(options: { seed: number; count: number; chainId: string }): Uint8Array[] {
  const txs = arbitraryTx.map((tx) => ({
    ...tx,
    chainId: options.chainId,
    signature: withCanonicalS(tx.signature),
  }))
  return fc.sample(txs, { seed: options.seed, numRuns: options.count }).map((tx) => encodeTx(tx))
}

/** A stream of complete frames, the bytes cut at random points. */
export function framesPayload(
  kind: 'undecodable-bodies' | 'bad-signatures',
  protocol: HostileProtocol,
  prng: Prng,
  bodies: readonly Uint8Array[],
): HostileStreamPayload {
  const bytes = concatBytes(bodies.map((body) => encodeFrame(body)))
  return { kind, protocol, chunks: splitAtRandom(prng, bytes), frameCount: bodies.length }
}

/** The framing attacks on one protocol, one stream each; none contains a complete frame. */
export function framingAttacks(protocol: HostileProtocol, prng: Prng): HostileStreamPayload[] {
  const announcedBytes = Math.min(protocol.frameBytesMax, 64)
  const attack = (kind: HostileStreamKind, chunks: Uint8Array[]): HostileStreamPayload => ({
    kind,
    protocol,
    chunks,
    frameCount: 0,
  })
  return [
    attack('truncated-body', [
      encodeFramePrefix(announcedBytes),
      randomBytes(prng, Math.floor(announcedBytes / 2)),
    ]),
    attack('truncated-prefix', [Uint8Array.of(0x80)]),
    attack('oversized', [encodeFramePrefix(protocol.frameBytesMax + 1), randomBytes(prng, 4_096)]),
    attack('prefix-overlong', [new Uint8Array(10).fill(0xff), randomBytes(prng, 64)]),
    attack('prefix-non-minimal', [Uint8Array.of(0x81, 0x00), randomBytes(prng, 1)]),
  ]
}

export interface HostileTarget {
  /** The validator's p2p multiaddr without `/p2p` (testnet.json `p2p`). */
  readonly address: string
  /** Its libp2p peer id (`status.node_id`). */
  readonly peerId: string
}

export interface HostileStreamOutcome {
  readonly kind: HostileStreamKind
  readonly protocolId: string
  readonly bytesWritten: number
  /** 'closed': both ends closed gracefully; 'reset': the receiver aborted it; 'timeout': neither in time. */
  readonly end: 'closed' | 'reset' | 'timeout'
}

export interface FloodResult {
  readonly framesWritten: number
  readonly bytesWritten: number
  readonly streamsOpened: number
  /** Attempts to (re)open the stream that failed, e.g. once the receiver has banned us. */
  readonly openFailures: number
}

export interface HostilePeerOptions {
  /** The 32-byte Ed25519 seed of a permitted validator's node key. */
  readonly nodeSecretKey: Uint8Array
  /** Peer ids this node may connect to (the honest validators). */
  readonly permittedPeerIds: readonly string[]
  /** Defaults to a free port on 127.0.0.1. */
  readonly listenAddress?: string
  /**
   * What we do with the streams the honest validators open to us: 'read' (and discard) everything, or 'stall':
   * never read, so their sends back up. Default 'read'.
   */
  readonly inbound?: 'read' | 'stall'
}

/** Bytes written with one `send` when flooding: large enough that the writer is never the bottleneck. */
export const floodBatchBytesMax = 64 * 1024
/** Pause after a failed stream open before the flood tries again (a ban refuses every attempt). */
const reopenDelayMs = 100
/** How long a stream may take to end at both sides after our last byte. */
const streamEndTimeoutMs = 5_000
/** Inbound streams the honest validators may open to us per protocol (they keep one, and reopen). */
const inboundStreamsPerProtocolMax = 16
const connectionsMax = 16

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Waits until the stream may be written again. Not `stream.onDrain()`: in @libp2p/utils 7.4 it keeps the
 * promise of the first 'drain' and returns it, already resolved, to every later call, so it stops waiting.
 */
function drained(stream: Stream, signal: AbortSignal | undefined): Promise<void> {
  if (!stream.writableNeedsDrain) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const finish = (error?: unknown): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      if (error === undefined) resolve()
      else reject(error)
    }
    const onDrain = (): void => finish()
    const onClose = (): void => finish(new Error('stream closed while waiting for drain'))
    const onAbort = (): void => finish(signal?.reason ?? new Error('aborted'))
    if (signal?.aborted === true) {
      onAbort()
      return
    }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
    signal?.addEventListener('abort', onAbort)
  })
}

function timeoutSignal(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs)
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
}

/** How `stream` ends: resolves on its 'close' event, or 'timeout' (after aborting it). */
function streamEnd(stream: Stream): {
  readonly wait: (timeoutMs: number) => Promise<HostileStreamOutcome['end']>
} {
  const ended = new Promise<'closed' | 'reset'>((resolve) => {
    if (stream.status === 'closed') resolve('closed')
    else if (stream.status === 'aborted' || stream.status === 'reset') resolve('reset')
    else
      stream.addEventListener('close', (event) => resolve(event.error === undefined ? 'closed' : 'reset'), {
        once: true,
      })
  })
  return {
    wait: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs)
      })
      const end = await Promise.race([ended, timedOut])
      clearTimeout(timer)
      if (end === 'timeout') stream.abort(new Error('hostile stream did not end in time'))
      return end
    },
  }
}

/** A stream we never read: paused, so our muxer stops granting the sender window and its writes back up. */
function stallInbound(stream: Stream): void {
  stream.pause()
}

/** Our end of the streams the honest validators open to us: read and discard, close when they close. */
function discardInbound(stream: Stream): void {
  stream.addEventListener('message', () => {})
  stream.addEventListener(
    'remoteCloseWrite',
    () => {
      stream.close().catch((error: unknown) => {
        stream.abort(error instanceof Error ? error : new Error(String(error)))
      })
    },
    { once: true },
  )
}

/** Packs encoded frames into batches of about `batchBytesMax` bytes, cycling through `frames` once. */
function packBatches(
  frames: readonly Uint8Array[],
  batchBytesMax: number,
): { bytes: Uint8Array; frameCount: number }[] {
  const batches: { bytes: Uint8Array; frameCount: number }[] = []
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  for (const frame of frames) {
    pending.push(frame)
    pendingBytes += frame.byteLength
    if (pendingBytes >= batchBytesMax) {
      batches.push({ bytes: concatBytes(pending), frameCount: pending.length })
      pending = []
      pendingBytes = 0
    }
  }
  if (pending.length > 0) batches.push({ bytes: concatBytes(pending), frameCount: pending.length })
  return batches
}

export class HostilePeer {
  readonly peerId: string
  readonly #libp2p: Libp2p

  private constructor(libp2p: Libp2p) {
    this.#libp2p = libp2p
    this.peerId = libp2p.peerId.toString()
  }

  static async create(options: HostilePeerOptions): Promise<HostilePeer> {
    const libp2p = await createLibp2pNode({
      privateKey: await privateKeyFromNodeSecretKey(options.nodeSecretKey),
      listenAddresses: [options.listenAddress ?? '/ip4/127.0.0.1/tcp/0'],
      connectionGater: createPermissionedGater({ permittedPeerIds: new Set(options.permittedPeerIds) }),
      connectionsMax,
    })
    try {
      for (const protocol of hostileProtocols) {
        const handler = options.inbound === 'stall' ? stallInbound : discardInbound
        await libp2p.handle(protocol.id, (stream) => handler(stream), {
          maxInboundStreams: inboundStreamsPerProtocolMax,
        })
      }
      await libp2p.start()
    } catch (error) {
      await libp2p.stop()
      throw error
    }
    return new HostilePeer(libp2p)
  }

  /** Opens (or reuses) a connection to `target`. */
  async connect(target: HostileTarget, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#libp2p.dial(multiaddr(`${target.address}/p2p/${target.peerId}`), {
      signal: timeoutSignal(options.signal, dialTimeoutMs),
    })
  }

  async #openStream(target: HostileTarget, protocolId: string, signal?: AbortSignal): Promise<Stream> {
    const connection = await this.#libp2p.dial(multiaddr(`${target.address}/p2p/${target.peerId}`), {
      signal: timeoutSignal(signal, dialTimeoutMs),
    })
    return connection.newStream(protocolId, { signal: timeoutSignal(signal, streamOpenTimeoutMs) })
  }

  /**
   * Opens one stream, writes the payload's chunks, half-closes, and waits until the stream has ended at both
   * sides, so streams sent one after another never exceed the receiver's inbound stream limit.
   */
  async sendStream(
    target: HostileTarget,
    payload: HostileStreamPayload,
    options: { signal?: AbortSignal } = {},
  ): Promise<HostileStreamOutcome> {
    const stream = await this.#openStream(target, payload.protocol.id, options.signal)
    const end = streamEnd(stream)
    stream.addEventListener('message', () => {})
    let bytesWritten = 0
    try {
      for (const chunk of payload.chunks) {
        if (stream.writeStatus !== 'writable') break
        const accepted = stream.send(chunk)
        bytesWritten += chunk.byteLength
        if (!accepted) await drained(stream, timeoutSignal(options.signal, streamEndTimeoutMs))
      }
      await stream.close({ signal: timeoutSignal(options.signal, streamEndTimeoutMs) })
    } catch {
      // The receiver reset the stream while we wrote: one of the outcomes these payloads provoke.
    }
    return {
      kind: payload.kind,
      protocolId: payload.protocol.id,
      bytesWritten,
      end: await end.wait(streamEndTimeoutMs),
    }
  }

  /**
   * Writes the encoded `frames` (prefixes included) over and over on one stream to `target`, as fast as the
   * stream accepts them, until `signal` aborts; a stream the receiver resets is replaced. Ends by closing the
   * stream gracefully (waiting up to 5 s), so what was counted as written reaches the receiver.
   */
  async flood(
    target: HostileTarget,
    protocolId: string,
    frames: readonly Uint8Array[],
    signal: AbortSignal,
  ): Promise<FloodResult> {
    if (frames.length === 0) throw new Error('flood needs at least one frame')
    const batches = packBatches(frames, floodBatchBytesMax)
    let framesWritten = 0
    let bytesWritten = 0
    let streamsOpened = 0
    let openFailures = 0
    let stream: Stream | undefined
    for (let next = 0; !signal.aborted; next = (next + 1) % batches.length) {
      if (stream === undefined || stream.writeStatus !== 'writable') {
        stream?.abort(new Error('replaced'))
        stream = await this.#openStream(target, protocolId, signal).catch(() => undefined)
        if (stream === undefined) {
          openFailures++
          await new Promise((resolve) => setTimeout(resolve, reopenDelayMs))
          continue
        }
        stream.addEventListener('message', () => {})
        streamsOpened++
      }
      const batch = batches[next]!
      try {
        const accepted = stream.send(batch.bytes)
        framesWritten += batch.frameCount
        bytesWritten += batch.bytes.byteLength
        // Yield every batch even when the stream takes it at once, or this loop would starve timers, sockets
        // and `signal` itself.
        if (accepted) await yieldToEventLoop()
        else await drained(stream, signal)
      } catch {
        if (!signal.aborted) stream = undefined
      }
    }
    if (stream !== undefined) {
      const end = streamEnd(stream)
      await stream.close({ signal: AbortSignal.timeout(streamEndTimeoutMs) }).catch(() => undefined)
      await end.wait(streamEndTimeoutMs)
    }
    return { framesWritten, bytesWritten, streamsOpened, openFailures }
  }

  /**
   * Sends the payloads one stream at a time, round and round, until `signal` aborts. Returns the streams sent.
   */
  async cycleStreams(
    target: HostileTarget,
    payloads: readonly HostileStreamPayload[],
    signal: AbortSignal,
  ): Promise<number> {
    let streams = 0
    for (let next = 0; !signal.aborted; next = (next + 1) % payloads.length) {
      const sent = await this.sendStream(target, payloads[next]!, { signal }).then(
        () => true,
        () => false,
      )
      if (sent) streams++
      else await new Promise((resolve) => setTimeout(resolve, reopenDelayMs))
    }
    return streams
  }

  async close(): Promise<void> {
    await this.#libp2p.stop()
  }
}
