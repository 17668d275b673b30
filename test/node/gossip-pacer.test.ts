// An honest validator's gossip to one peer stays within what that peer admits, however fast it is driven (a
// Byzantine peer's stream of fresh evidence, a client's flood of transactions): otherwise one Byzantine
// validator makes honest validators flood, then ban, each other.
import { describe, expect, it } from 'vitest'
import type { PeerNetwork, ProtocolName } from '../../node/env/network.js'
import { protocolLimits } from '../../node/protocols.js'
import { GossipPacer, gossipQueueLengthMax, gossipRateShare } from '../../node/validator/gossip-pacer.js'
import { TokenBucket } from '../../p2p/token-bucket.js'
import { ManualClock } from '../support/manual-clock.js'

/** A network that records every frame sent, with the time, per (peer, protocol). */
function recordingNetwork(clock: ManualClock, peers: readonly string[]) {
  const sent: Array<{ peer: string; protocol: ProtocolName; atMs: number }> = []
  const network: PeerNetwork = {
    connectedPeers: () => peers,
    send: (peer, protocol) => {
      sent.push({ peer, protocol, atMs: clock.nowMs() })
      return true
    },
    broadcast: () => {
      throw new Error('the pacer sends to each peer')
    },
    penalize: () => {},
  }
  return { network, sent }
}

describe('gossip pacing', () => {
  it('never sends a peer more evidence or tx frames than its p2p flood gate admits', () => {
    const clock = new ManualClock(1_000_000)
    const peers = ['aa', 'bb', 'cc']
    const { network, sent } = recordingNetwork(clock, peers)
    const dropped: ProtocolName[] = []
    const paced = new GossipPacer(network, clock, (protocol) => dropped.push(protocol)).network()
    // 5 s of evidence at 200 frames/s and transactions at 5,000 frames/s, broadcast to every peer.
    for (let ms = 0; ms < 5_000; ms++) {
      if (ms % 5 === 0) paced.broadcast('evidence', new Uint8Array([1]))
      for (let i = 0; i < 5; i++) paced.broadcast('tx', new Uint8Array([2]))
      clock.advance(1)
    }
    clock.advance(60_000)
    // Each peer's receiving gate (the p2p host's token bucket, at full rate) admits every frame we sent.
    for (const peer of peers) {
      for (const protocol of ['evidence', 'tx'] as const) {
        const limits = protocolLimits[protocol]
        const gate = new TokenBucket(limits.burstFramesMax, limits.framesPerSecondMax, 1_000_000)
        const frames = sent.filter((each) => each.peer === peer && each.protocol === protocol)
        expect(frames.length).toBeGreaterThan(0)
        const refused = frames.filter((frame) => !gate.tryTake(frame.atMs))
        expect(refused, `${protocol} frames to ${peer} the receiver would drop as a flood`).toEqual([])
      }
    }
    // More was offered than can leave: the rest waited in a bounded queue and the overflow was dropped.
    const evidenceTo = (peer: string) => sent.filter((s) => s.peer === peer && s.protocol === 'evidence')
    const evidenceRate = protocolLimits.evidence.framesPerSecondMax * gossipRateShare
    expect(evidenceTo('aa').length).toBeLessThanOrEqual(
      protocolLimits.evidence.burstFramesMax * gossipRateShare + evidenceRate * 65 + 1,
    )
    expect(dropped.filter((protocol) => protocol === 'tx').length).toBeGreaterThan(0)
  })

  it('holds at most gossipQueueLengthMax frames per peer and protocol, and sends them in order', () => {
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
    expect(sent.length).toBe(burst + gossipQueueLengthMax)
  })

  it('leaves consensus and sync frames alone', () => {
    const clock = new ManualClock(0)
    const { network, sent } = recordingNetwork(clock, ['aa'])
    const paced = new GossipPacer(network, clock, () => {}).network()
    for (let i = 0; i < 10_000; i++) paced.send('aa', i % 2 === 0 ? 'consensus' : 'sync', new Uint8Array(1))
    expect(sent.length).toBe(10_000)
  })
})
