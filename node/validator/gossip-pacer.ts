import { txBytesMax } from '../../ledger/limits.js'
import { TokenBucket } from '../../p2p/token-bucket.js'
import type { Clock, Timer } from '../env/clock.js'
import type { PeerNetwork, ProtocolName } from '../env/network.js'
import { protocolLimits, txGossipLimits } from '../protocols.js'
import {
  encodeTxBatch,
  txBatchEntryBytes,
  txBatchFrameBytesMax,
  txBatchHeaderBytes,
  txBatchTxCountMax,
} from './tx-batch-codec.js'

/**
 * Gossip waiting per (peer, protocol): evidence frames, or transactions; beyond it the newest are dropped (gossip
 * is best effort).
 */
export const gossipQueueLengthMax = 1_024
/** An honest validator gossips to one peer at most this share of what that peer admits on the protocol. */
export const gossipRateShare = 0.5
/**
 * Transactions coalesce: the first one admitted while no window is open waits only for the end of the current
 * tick (the clock's soonest timer: about 1 ms of Node timer in production, the end of the current event in the
 * simulator), so every admission that finishes in the same turn joins it, and then a window of this length
 * opens; those admitted while it is open leave together at its end (unless they fill a frame first), and a
 * window that ended with transactions to send opens the next. So an idle validator adds at most a tick of
 * delay, and a busy one sends each peer at most one frame per window (plus full ones).
 */
export const txBatchWindowMs = 2

/** Frames (evidence) paced one token per frame. */
interface FrameQueue {
  readonly bucket: TokenBucket
  readonly frames: Uint8Array[]
  timer: Timer | null
}

/** Transactions for one peer, paced one token per transaction and sent in tx-batch frames. */
interface TxQueue {
  readonly bucket: TokenBucket
  readonly txs: Uint8Array[]
  /** Frame bytes the queued transactions' entries take (length prefixes included). */
  entryBytes: number
  /** Set while the peer's tokens ran out: it sends the next batch once they cover it. */
  drainTimer: Timer | null
}

/** Once this many entry bytes are queued, the next transaction might not fit: a frame's worth is ready. */
const txBatchEntryBytesFull =
  txBatchFrameBytesMax - txBatchHeaderBytes - txBatchEntryBytes(new Uint8Array(txBytesMax))

/**
 * Keeps an honest validator's gossip to every peer within what that peer admits, whatever drives it: a peer's
 * stream of fresh evidence (which every honest validator passes on), or clients' transactions. Without it one
 * Byzantine validator could make honest validators flood each other, and so penalise and ban each other.
 *
 * Evidence frames leave through a token bucket per peer at `gossipRateShare` of the receiver's frame rate.
 * Transactions leave in tx-batch frames through a token bucket per peer that counts transactions, not frames,
 * at `gossipRateShare` of the receiver's transaction rate (`txGossipLimits`), so batching never lets more
 * transactions through than one frame each would. Transactions admitted close together share frames (see
 * `txBatchWindowMs`). What cannot leave yet waits in a bounded queue, drained on
 * the validator's clock.
 */
export class GossipPacer {
  readonly #network: PeerNetwork
  readonly #clock: Clock
  readonly #frameQueues = new Map<string, FrameQueue>()
  readonly #txQueues = new Map<string, TxQueue>()
  readonly #onDropped: (protocol: ProtocolName) => void
  /** The open coalescing window (see txBatchWindowMs); null when none is. */
  #windowTimer: Timer | null = null
  #closed = false

  constructor(network: PeerNetwork, clock: Clock, onDropped: (protocol: ProtocolName) => void) {
    this.#network = network
    this.#clock = clock
    this.#onDropped = onDropped
  }

  /**
   * The network as the validator's own code uses it: evidence frames paced; a single-transaction 'tx' frame
   * joins the peer's transaction queue and leaves in a batch. Batches are the pacer's own to build.
   */
  network(): PeerNetwork {
    const send = (peer: string, protocol: ProtocolName, frame: Uint8Array): boolean => {
      if (protocol === 'evidence') return this.#enqueueFrame(peer, protocol, frame)
      if (protocol === 'tx') {
        const queued = this.#enqueueTx(peer, frame)
        this.#scheduleFlush()
        return queued
      }
      if (protocol === 'tx-batch') throw new Error('tx-batch frames are built by the gossip pacer (gossipTx)')
      return this.#network.send(peer, protocol, frame)
    }
    return {
      connectedPeers: () => this.#network.connectedPeers(),
      send,
      broadcast: (protocol, frame) => {
        if (protocol === 'consensus' || protocol === 'sync') return this.#network.broadcast(protocol, frame)
        for (const peer of this.#network.connectedPeers()) send(peer, protocol, frame)
      },
      penalize: (peer, reason) => this.#network.penalize(peer, reason),
    }
  }

  /** An admitted transaction (its encoding), for every connected peer: batched with others and paced. */
  gossipTx(tx: Uint8Array): void {
    for (const peer of this.#network.connectedPeers()) this.#enqueueTx(peer, tx)
    this.#scheduleFlush()
  }

  close(): void {
    this.#closed = true
    this.#windowTimer?.cancel()
    this.#windowTimer = null
    for (const queue of this.#frameQueues.values()) queue.timer?.cancel()
    for (const queue of this.#txQueues.values()) queue.drainTimer?.cancel()
    this.#frameQueues.clear()
    this.#txQueues.clear()
  }

  #enqueueTx(peer: string, tx: Uint8Array): boolean {
    if (this.#closed) return false
    const queue = this.#txQueue(peer)
    if (queue.txs.length >= gossipQueueLengthMax) {
      this.#onDropped('tx-batch')
      return false
    }
    queue.txs.push(tx)
    queue.entryBytes += txBatchEntryBytes(tx)
    // Out of tokens: the drain timer sends full batches as the tokens come; sending on each arrival would not.
    if (queue.drainTimer !== null) return true
    if (queue.txs.length >= txBatchTxCountMax || queue.entryBytes > txBatchEntryBytesFull) {
      this.#flushTxs(peer, queue)
    }
    return true
  }

  /** The leading edge: with no window open, what is queued leaves at the end of the tick. */
  #scheduleFlush(): void {
    if (this.#closed || this.#windowTimer !== null) return
    this.#windowTimer = this.#clock.setTimer(0, () => this.#endWindow())
  }

  /** What gathered in the window leaves together; if anything did, the next window opens behind it. */
  #endWindow(): void {
    this.#windowTimer = null
    if (this.#flushAll() > 0) {
      this.#windowTimer = this.#clock.setTimer(txBatchWindowMs, () => this.#endWindow())
    }
  }

  /** Flushes every peer not waiting for tokens; returns how many transactions were queued for them. */
  #flushAll(): number {
    let flushed = 0
    for (const [peer, queue] of this.#txQueues) {
      if (queue.drainTimer !== null || queue.txs.length === 0) continue
      flushed += queue.txs.length
      this.#flushTxs(peer, queue)
    }
    return flushed
  }

  /** Sends as many queued transactions as the peer's tokens allow, in as few frames as the bounds allow. */
  #flushTxs(peer: string, queue: TxQueue): void {
    const nowMs = this.#clock.nowMs()
    while (queue.txs.length > 0) {
      let count = 0
      let entryBytes = 0
      while (count < queue.txs.length && count < txBatchTxCountMax) {
        const bytes = txBatchEntryBytes(queue.txs[count]!)
        if (txBatchHeaderBytes + entryBytes + bytes > txBatchFrameBytesMax) break
        if (!queue.bucket.tryTake(nowMs)) break
        entryBytes += bytes
        count++
      }
      if (count === 0) break
      queue.entryBytes -= entryBytes
      this.#network.send(peer, 'tx-batch', encodeTxBatch(queue.txs.splice(0, count)))
    }
    if (queue.txs.length > 0) this.#scheduleTxDrain(peer, queue)
  }

  /** Waits until the tokens (spent) cover the next full batch, or the whole queue if it is shorter. */
  #scheduleTxDrain(peer: string, queue: TxQueue): void {
    if (queue.drainTimer !== null) return
    const txsPerSecond = txGossipLimits.txsPerSecondMax * gossipRateShare
    const waitMs = Math.ceil((Math.min(queue.txs.length, txBatchTxCountMax) * 1_000) / txsPerSecond)
    queue.drainTimer = this.#clock.setTimer(waitMs, () => {
      queue.drainTimer = null
      this.#flushTxs(peer, queue)
    })
  }

  #txQueue(peer: string): TxQueue {
    let queue = this.#txQueues.get(peer)
    if (queue === undefined) {
      const rate = txGossipLimits.txsPerSecondMax * gossipRateShare
      const burst = Math.max(1, Math.floor(txGossipLimits.burstTxsMax * gossipRateShare))
      queue = {
        bucket: new TokenBucket(burst, rate, this.#clock.nowMs()),
        txs: [],
        entryBytes: 0,
        drainTimer: null,
      }
      this.#txQueues.set(peer, queue)
    }
    return queue
  }

  #enqueueFrame(peer: string, protocol: ProtocolName, frame: Uint8Array): boolean {
    if (this.#closed) return false
    const queue = this.#frameQueue(peer, protocol)
    if (queue.frames.length === 0 && queue.bucket.tryTake(this.#clock.nowMs())) {
      return this.#network.send(peer, protocol, frame)
    }
    if (queue.frames.length >= gossipQueueLengthMax) {
      this.#onDropped(protocol)
      return false
    }
    queue.frames.push(frame)
    this.#scheduleFrameDrain(peer, protocol, queue)
    return true
  }

  #frameQueue(peer: string, protocol: ProtocolName): FrameQueue {
    const key = `${protocol} ${peer}`
    let queue = this.#frameQueues.get(key)
    if (queue === undefined) {
      const limits = protocolLimits[protocol]
      const rate = limits.framesPerSecondMax * gossipRateShare
      const burst = Math.max(1, Math.floor(limits.burstFramesMax * gossipRateShare))
      queue = { bucket: new TokenBucket(burst, rate, this.#clock.nowMs()), frames: [], timer: null }
      this.#frameQueues.set(key, queue)
    }
    return queue
  }

  #scheduleFrameDrain(peer: string, protocol: ProtocolName, queue: FrameQueue): void {
    if (queue.timer !== null) return
    const intervalMs = Math.ceil(1_000 / (protocolLimits[protocol].framesPerSecondMax * gossipRateShare))
    queue.timer = this.#clock.setTimer(intervalMs, () => {
      queue.timer = null
      while (queue.frames.length > 0 && queue.bucket.tryTake(this.#clock.nowMs())) {
        this.#network.send(peer, protocol, queue.frames.shift()!)
      }
      if (queue.frames.length > 0) this.#scheduleFrameDrain(peer, protocol, queue)
    })
  }
}
