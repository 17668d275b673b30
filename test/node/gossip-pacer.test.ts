// An honest validator's gossip to one peer stays within what that peer admits, however fast it is driven (a
// Byzantine peer's stream of fresh evidence, a client's flood of transactions): otherwise one Byzantine
// validator makes honest validators flood, then ban, each other. Transactions leave in batches, and the pace is
// counted in transactions, so a batch never buys more than one frame per transaction would.
import { describe, expect, it } from 'vitest'
import type { PeerNetwork, ProtocolName } from '../../node/env/network.js'
import { protocolLimits, txGossipLimits } from '../../node/protocols.js'
import {
  GossipPacer,
  gossipQueueLengthMax,
  gossipRateShare,
  txBatchWindowMs,
} from '../../node/validator/gossip-pacer.js'
import {
  decodeTxBatch,
  txBatchFrameBytesMax,
  txBatchTxCountMax,
} from '../../node/validator/tx-batch-codec.js'
import { TokenBucket } from '../../p2p/token-bucket.js'
import { ManualClock } from '../support/manual-clock.js'

interface SentFrame {
  readonly peer: string
  readonly protocol: ProtocolName
  readonly frame: Uint8Array
  readonly atMs: number
}

/** A network that records every frame sent, with the time, per (peer, protocol). */
function recordingNetwork(clock: ManualClock, peers: readonly string[]) {
  const sent: SentFrame[] = []
  const network: PeerNetwork = {
    connectedPeers: () => peers,
    send: (peer, protocol, frame) => {
      sent.push({ peer, protocol, frame, atMs: clock.nowMs() })
      return true
    },
    broadcast: () => {
      throw new Error('the pacer sends to each peer')
    },
    penalize: () => {},
  }
  return { network, sent }
}

/** A distinct transaction-sized payload numbered `i` (the pacer treats transactions as opaque bytes). */
function txNumbered(i: number, bytes = 160): Uint8Array {
  const tx = new Uint8Array(bytes)
  new DataView(tx.buffer).setUint32(0, i)
  return tx
}

function numberOf(tx: Uint8Array): number {
  return new DataView(tx.buffer, tx.byteOffset, tx.byteLength).getUint32(0)
}

function batchesTo(sent: readonly SentFrame[], peer: string): Uint8Array[][] {
  return sent.filter((s) => s.peer === peer && s.protocol === 'tx-batch').map((s) => decodeTxBatch(s.frame))
}

describe('gossip pacing', () => {
  it('never sends a peer more evidence frames, tx-batch frames or transactions than the peer admits', () => {
    const startMs = 1_000_000
    const clock = new ManualClock(startMs)
    const peers = ['aa', 'bb', 'cc']
    const { network, sent } = recordingNetwork(clock, peers)
    const dropped: ProtocolName[] = []
    const pacer = new GossipPacer(network, clock, (protocol) => dropped.push(protocol))
    const paced = pacer.network()
    // 5 s of evidence at 200 frames/s and transactions at 5,000/s, to every peer.
    let offered = 0
    for (let ms = 0; ms < 5_000; ms++) {
      if (ms % 5 === 0) paced.broadcast('evidence', new Uint8Array([1]))
      for (let i = 0; i < 5; i++) pacer.gossipTx(txNumbered(offered++))
      clock.advance(1)
    }
    clock.advance(60_000)
    for (const peer of peers) {
      // The peer's p2p flood gates (frames, at full rate) admit every frame we sent.
      for (const protocol of ['evidence', 'tx-batch'] as const) {
        const limits = protocolLimits[protocol]
        const gate = new TokenBucket(limits.burstFramesMax, limits.framesPerSecondMax, startMs)
        const frames = sent.filter((each) => each.peer === peer && each.protocol === protocol)
        expect(frames.length).toBeGreaterThan(0)
        const refused = frames.filter((frame) => !gate.tryTake(frame.atMs))
        expect(refused, `${protocol} frames to ${peer} the receiver would drop as a flood`).toEqual([])
      }
      // Its frame router's transaction budget (at full rate) admits every transaction of every batch.
      const budget = new TokenBucket(txGossipLimits.burstTxsMax, txGossipLimits.txsPerSecondMax, startMs)
      let refusedTxs = 0
      for (const s of sent.filter((each) => each.peer === peer && each.protocol === 'tx-batch')) {
        for (const _ of decodeTxBatch(s.frame)) if (!budget.tryTake(s.atMs)) refusedTxs++
      }
      expect(refusedTxs, `transactions to ${peer} the receiver would drop as a flood`).toBe(0)
    }
    // More was offered than can leave: the rest waited in a bounded queue and the overflow was dropped.
    const txsTo = (peer: string) => batchesTo(sent, peer).flat().length
    const txRate = txGossipLimits.txsPerSecondMax * gossipRateShare
    expect(txsTo('aa')).toBeLessThanOrEqual(txGossipLimits.burstTxsMax * gossipRateShare + txRate * 65 + 1)
    expect(txsTo('aa') + dropped.filter((p) => p === 'tx-batch').length / peers.length).toBe(offered)
    const evidenceTo = (peer: string) => sent.filter((s) => s.peer === peer && s.protocol === 'evidence')
    const evidenceRate = protocolLimits.evidence.framesPerSecondMax * gossipRateShare
    expect(evidenceTo('aa').length).toBeLessThanOrEqual(
      protocolLimits.evidence.burstFramesMax * gossipRateShare + evidenceRate * 65 + 1,
    )
    expect(dropped.filter((protocol) => protocol === 'tx-batch').length).toBeGreaterThan(0)
  })

  it('sends N transactions gossiped in one tick as ceil(N / txBatchTxCountMax) frames per peer, in order', () => {
    for (const count of [1, 2, txBatchTxCountMax - 1, txBatchTxCountMax, txBatchTxCountMax + 1, 1_000]) {
      const clock = new ManualClock(0)
      const peers = ['aa', 'bb', 'cc']
      const { network, sent } = recordingNetwork(clock, peers)
      const pacer = new GossipPacer(network, clock, () => {})
      for (let i = 0; i < count; i++) pacer.gossipTx(txNumbered(i))
      clock.advance(0)
      for (const peer of peers) {
        const batches = batchesTo(sent, peer)
        expect(batches.length, `${count} transactions to ${peer}`).toBe(Math.ceil(count / txBatchTxCountMax))
        expect(batches.flat().map(numberOf)).toEqual(Array.from({ length: count }, (_, i) => i))
      }
    }
  })

  it('starts a new frame when the next transaction would pass txBatchFrameBytesMax', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    const pacer = new GossipPacer(network, clock, () => {})
    const count = 300
    for (let i = 0; i < count; i++) pacer.gossipTx(txNumbered(i, 512))
    clock.advance(0)
    const frames = sent.filter((s) => s.protocol === 'tx-batch')
    for (const s of frames) expect(s.frame.length).toBeLessThanOrEqual(txBatchFrameBytesMax)
    const perFrame = Math.floor((txBatchFrameBytesMax - 3) / (2 + 512))
    expect(frames.length).toBe(Math.ceil(count / perFrame))
    expect(batchesTo(sent, 'aa').flat().map(numberOf)).toEqual(Array.from({ length: count }, (_, i) => i))
  })

  it('a lone transaction waits only for the end of the tick', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa', 'bb'])
    const pacer = new GossipPacer(network, clock, () => {})
    pacer.gossipTx(txNumbered(7))
    expect(sent).toEqual([]) // never synchronously: others admitted in the same turn may join it
    clock.advance(0)
    expect(sent.map((s) => [s.peer, s.atMs, batchesTo([s], s.peer).flat().map(numberOf)])).toEqual([
      ['aa', 0, [7]],
      ['bb', 0, [7]],
    ])
  })

  it(`while busy, transactions gathered over txBatchWindowMs (${txBatchWindowMs} ms) share one frame; once idle, the next leaves at the end of its tick`, () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    const pacer = new GossipPacer(network, clock, () => {})
    const sentAt = () => sent.map((s) => [s.atMs, decodeTxBatch(s.frame).map(numberOf)])
    pacer.gossipTx(txNumbered(1))
    clock.advance(0)
    // A window is open behind the frame just sent: what comes now waits for its end, together.
    pacer.gossipTx(txNumbered(2))
    clock.advance(txBatchWindowMs / 2)
    pacer.gossipTx(txNumbered(3))
    clock.advance(txBatchWindowMs / 2)
    expect(sentAt()).toEqual([
      [0, [1]],
      [txBatchWindowMs, [2, 3]],
    ])
    // That window sent something, so another opened; it ends empty, and the pacer is idle again.
    clock.advance(txBatchWindowMs)
    clock.advance(5)
    pacer.gossipTx(txNumbered(4))
    clock.advance(0)
    expect(sentAt().at(-1)).toEqual([2 * txBatchWindowMs + 5, [4]])
    expect(clock.pendingTimerCount).toBe(1) // the window behind frame 4
  })

  it('at saturation, sends full batches as the tokens come (not one frame per token)', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    const pacer = new GossipPacer(network, clock, () => {})
    const txRate = txGossipLimits.txsPerSecondMax * gossipRateShare
    // Twice the pace for 10 s: after the burst the queue never empties.
    let offered = 0
    for (let ms = 0; ms < 10_000; ms++) {
      for (let i = 0; i < (2 * txRate) / 1_000; i++) pacer.gossipTx(txNumbered(offered++))
      clock.advance(1)
    }
    const afterBurst = sent.filter((s) => s.atMs >= 5_000).map((s) => decodeTxBatch(s.frame).length)
    expect(afterBurst.length).toBeGreaterThan(0)
    const txsPerFrame = afterBurst.reduce((a, b) => a + b, 0) / afterBurst.length
    expect(txsPerFrame).toBeGreaterThan(txBatchTxCountMax / 2)
  })

  it(`holds at most gossipQueueLengthMax transactions per peer and sends them in order`, () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    const dropped: ProtocolName[] = []
    const pacer = new GossipPacer(network, clock, (protocol) => dropped.push(protocol))
    const burst = txGossipLimits.burstTxsMax * gossipRateShare
    const offered = burst + gossipQueueLengthMax + 100
    for (let i = 0; i < offered; i++) pacer.gossipTx(txNumbered(i))
    expect(dropped).toEqual(Array.from({ length: 100 }, () => 'tx-batch'))
    clock.advance(10 * 60_000)
    const txs = batchesTo(sent, 'aa').flat().map(numberOf)
    expect(txs).toEqual(Array.from({ length: burst + gossipQueueLengthMax }, (_, i) => i))
  })

  it('holds at most gossipQueueLengthMax evidence frames per peer and sends them in order', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    let dropped = 0
    const paced = new GossipPacer(network, clock, () => dropped++).network()
    const burst = protocolLimits.evidence.burstFramesMax * gossipRateShare
    const offered = burst + gossipQueueLengthMax + 100
    const frames = Array.from({ length: offered }, (_, i) => Uint8Array.of(i & 0xff, i >> 8))
    for (const frame of frames) paced.send('aa', 'evidence', frame)
    expect(dropped).toBe(100)
    clock.advance(10 * 60_000)
    expect(sent.map((s) => s.frame)).toEqual(frames.slice(0, burst + gossipQueueLengthMax))
  })

  it('a single-transaction frame sent through the paced network leaves in a batch', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa', 'bb'])
    const paced = new GossipPacer(network, clock, () => {}).network()
    paced.broadcast('tx', txNumbered(1))
    paced.send('aa', 'tx', txNumbered(2))
    clock.advance(0)
    expect(sent.every((s) => s.protocol === 'tx-batch')).toBe(true)
    expect(batchesTo(sent, 'aa').flat().map(numberOf)).toEqual([1, 2])
    expect(batchesTo(sent, 'bb').flat().map(numberOf)).toEqual([1])
  })

  it('leaves consensus and sync frames alone, and builds tx-batch frames only itself', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    const paced = new GossipPacer(network, clock, () => {}).network()
    for (let i = 0; i < 10_000; i++) paced.send('aa', i % 2 === 0 ? 'consensus' : 'sync', new Uint8Array(1))
    expect(sent.length).toBe(10_000)
    expect(() => paced.send('aa', 'tx-batch', new Uint8Array(1))).toThrow(/gossip pacer/)
  })

  it('sends nothing after close, and leaves no timer behind', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    const pacer = new GossipPacer(network, clock, () => {})
    for (let i = 0; i < 5_000; i++) pacer.gossipTx(txNumbered(i))
    pacer.network().broadcast('evidence', new Uint8Array(1))
    pacer.close()
    const sentBefore = sent.length
    pacer.gossipTx(txNumbered(9))
    clock.advance(60_000)
    expect(sent.length).toBe(sentBefore)
    expect(clock.pendingTimerCount).toBe(0)
  })
})
