import { TokenBucket } from '../../p2p/token-bucket.js'
import type { Clock, Timer } from '../env/clock.js'
import type { PeerNetwork, ProtocolName } from '../env/network.js'
import { protocolLimits } from '../protocols.js'

/** Gossip frames waiting per (peer, protocol); beyond it the newest are dropped (gossip is best effort). */
export const gossipQueueLengthMax = 1_024
/** An honest validator gossips to one peer at most this share of what that peer admits on the protocol. */
export const gossipRateShare = 0.5

/** The protocols whose frames a validator sends on its own initiative at a rate others can drive. */
const pacedProtocols: ReadonlySet<ProtocolName> = new Set(['tx', 'evidence'])

interface PeerQueue {
  readonly bucket: TokenBucket
  readonly frames: Uint8Array[]
  timer: Timer | null
}

/**
 * Keeps an honest validator's gossip to every peer within what that peer admits, whatever drives it: a peer's
 * stream of fresh evidence (which every honest validator passes on), or clients' transactions. Without it one
 * Byzantine validator could make honest validators flood each other, and so penalise and ban each other. Tx
 * and evidence frames leave through a token bucket per (peer, protocol) at `gossipRateShare` of the receiver's
 * admission rate; what cannot leave yet waits in a bounded queue, drained on the validator's clock.
 */
export class GossipPacer {
  readonly #network: PeerNetwork
  readonly #clock: Clock
  readonly #queues = new Map<string, PeerQueue>()
  readonly #onDropped: (protocol: ProtocolName) => void
  #closed = false

  constructor(network: PeerNetwork, clock: Clock, onDropped: (protocol: ProtocolName) => void) {
    this.#network = network
    this.#clock = clock
    this.#onDropped = onDropped
  }

  /** The network as the validator's own code uses it: paced protocols through the queues. */
  network(): PeerNetwork {
    const send = (peer: string, protocol: ProtocolName, frame: Uint8Array): boolean =>
      pacedProtocols.has(protocol)
        ? this.#enqueue(peer, protocol, frame)
        : this.#network.send(peer, protocol, frame)
    return {
      connectedPeers: () => this.#network.connectedPeers(),
      send,
      broadcast: (protocol, frame) => {
        if (!pacedProtocols.has(protocol)) return this.#network.broadcast(protocol, frame)
        for (const peer of this.#network.connectedPeers()) send(peer, protocol, frame)
      },
      penalize: (peer, reason) => this.#network.penalize(peer, reason),
    }
  }

  close(): void {
    this.#closed = true
    for (const queue of this.#queues.values()) queue.timer?.cancel()
    this.#queues.clear()
  }

  #enqueue(peer: string, protocol: ProtocolName, frame: Uint8Array): boolean {
    if (this.#closed) return false
    const queue = this.#queue(peer, protocol)
    if (queue.frames.length === 0 && queue.bucket.tryTake(this.#clock.nowMs())) {
      return this.#network.send(peer, protocol, frame)
    }
    if (queue.frames.length >= gossipQueueLengthMax) {
      this.#onDropped(protocol)
      return false
    }
    queue.frames.push(frame)
    this.#scheduleDrain(peer, protocol, queue)
    return true
  }

  #queue(peer: string, protocol: ProtocolName): PeerQueue {
    const key = `${protocol} ${peer}`
    let queue = this.#queues.get(key)
    if (queue === undefined) {
      const limits = protocolLimits[protocol]
      const rate = limits.framesPerSecondMax * gossipRateShare
      const burst = Math.max(1, Math.floor(limits.burstFramesMax * gossipRateShare))
      queue = { bucket: new TokenBucket(burst, rate, this.#clock.nowMs()), frames: [], timer: null }
      this.#queues.set(key, queue)
    }
    return queue
  }

  #scheduleDrain(peer: string, protocol: ProtocolName, queue: PeerQueue): void {
    if (queue.timer !== null) return
    const intervalMs = Math.ceil(1_000 / (protocolLimits[protocol].framesPerSecondMax * gossipRateShare))
    queue.timer = this.#clock.setTimer(intervalMs, () => {
      queue.timer = null
      while (queue.frames.length > 0 && queue.bucket.tryTake(this.#clock.nowMs())) {
        this.#network.send(peer, protocol, queue.frames.shift()!)
      }
      if (queue.frames.length > 0) this.#scheduleDrain(peer, protocol, queue)
    })
  }
}
