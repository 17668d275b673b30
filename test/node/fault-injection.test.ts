// Testnet fault injection inside a validator: outgoing link faults (cut, loss, delay), the skewable clock, and
// the unsafe_* RPC methods that set them, with their rejections.

import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import type { PeerNetwork, ProtocolName } from '../../node/env/network.js'
import { faultRpcMethods } from '../../node/faults/fault-methods.js'
import { LinkFaults } from '../../node/faults/link-faults.js'
import { SkewableClock } from '../../node/faults/skewable-clock.js'
import { RpcError } from '../../node/rpc/errors.js'
import { ManualClock } from '../support/manual-clock.js'

const peers = ['aa'.repeat(32), 'bb'.repeat(32), 'cc'.repeat(32)]
const plain = { cut: false, delayMs: 0, dropRate: 0 }

function recordingNetwork(): PeerNetwork & { sent: Array<{ peer: string; protocol: ProtocolName }> } {
  const sent: Array<{ peer: string; protocol: ProtocolName }> = []
  return {
    sent,
    connectedPeers: () => peers,
    send: (peer, protocol) => {
      sent.push({ peer, protocol })
      return true
    },
    broadcast: (protocol) => {
      for (const peer of peers) sent.push({ peer, protocol })
    },
    penalize: () => {},
  }
}

describe('LinkFaults', () => {
  it('drops every frame to a cut peer, and only to it, on send and broadcast', () => {
    const faults = new LinkFaults()
    const network = recordingNetwork()
    const faulty = faults.wrap(network, new ManualClock(), () => 0.5)
    faults.replace(new Map([[peers[1]!, { ...plain, cut: true }]]))
    expect(faulty.send(peers[1]!, 'consensus', new Uint8Array(1))).toBe(false)
    faulty.broadcast('consensus', new Uint8Array(1))
    expect(network.sent.map((frame) => frame.peer)).toEqual([peers[0], peers[2]])
    expect(faults.droppedFrames).toBe(2)
  })

  it('loses frames with the drop rate and holds them for the delay, in order', () => {
    const faults = new LinkFaults()
    const network = recordingNetwork()
    const clock = new ManualClock()
    const draws = [0.1, 0.9, 0.9]
    const faulty = faults.wrap(network, clock, () => draws.shift()!)
    faults.replace(new Map([[peers[0]!, { cut: false, delayMs: 300, dropRate: 0.5 }]]))
    faulty.send(peers[0]!, 'consensus', new Uint8Array(1))
    faulty.send(peers[0]!, 'sync', new Uint8Array(1))
    faulty.send(peers[0]!, 'tx', new Uint8Array(1))
    expect(network.sent).toEqual([])
    clock.advance(299)
    expect(network.sent).toEqual([])
    clock.advance(1)
    expect(network.sent.map((frame) => frame.protocol)).toEqual(['sync', 'tx'])
    expect(faults.droppedFrames).toBe(1)
  })

  it('forgets plain links and passes everything through once healed', () => {
    const faults = new LinkFaults()
    const network = recordingNetwork()
    const faulty = faults.wrap(network, new ManualClock(), () => 0)
    faults.replace(new Map([[peers[0]!, { ...plain, cut: true }]]))
    faults.replace(new Map([[peers[0]!, plain]]))
    expect(faults.active).toBe(false)
    faulty.broadcast('consensus', new Uint8Array(1))
    expect(network.sent).toHaveLength(3)
  })

  it('refuses a negative delay and a drop rate above 1', () => {
    const faults = new LinkFaults()
    expect(() => faults.replace(new Map([[peers[0]!, { ...plain, delayMs: -1 }]]))).toThrow(/delay_ms/)
    expect(() => faults.replace(new Map([[peers[0]!, { ...plain, dropRate: 1.5 }]]))).toThrow(/drop_rate/)
  })
})

describe('SkewableClock', () => {
  it('steps the reading and leaves timer durations alone', () => {
    const base = new ManualClock(10_000)
    const clock = new SkewableClock(base)
    clock.setSkewMs(-7_000)
    expect(clock.nowMs()).toBe(3_000)
    let fired = false
    clock.setTimer(100, () => {
      fired = true
    })
    base.advance(100)
    expect(fired).toBe(true)
  })
})

describe('unsafe_* fault methods', () => {
  const validators = peers.map((peer, index) => ({
    index,
    name: `validator-${index}`,
    consensusKey: new Uint8Array(32),
    nodeKey: Uint8Array.from(Buffer.from(peer, 'hex')),
  }))
  const setUp = () => {
    const links = new LinkFaults()
    const clock = new SkewableClock(new ManualClock())
    return { links, clock, methods: faultRpcMethods({ links, clock, validators, selfIndex: 0 }) }
  }
  const call = (methods: ReturnType<typeof setUp>['methods'], name: string, params: unknown) =>
    methods[name]!(params, { signal: new AbortController().signal, overloaded: () => {} })

  it('sets the links by validator index and reports them back', async () => {
    const { links, methods } = setUp()
    const result = await call(methods, 'unsafe_set_link_faults', {
      links: [
        { peer: 2, cut: true },
        { peer: 1, delay_ms: 50, drop_rate: 0.25 },
      ],
    })
    expect(links.entries().get(toHex(validators[2]!.nodeKey))?.cut).toBe(true)
    expect(result).toMatchObject({
      links: [
        { peer: 2, cut: true, delay_ms: 0, drop_rate: 0 },
        { peer: 1, cut: false, delay_ms: 50, drop_rate: 0.25 },
      ],
    })
  })

  it.each([
    [{ links: 'all' }, /an array/],
    [{ links: [{ peer: 9, cut: true }] }, /validator index 0\.\.2/],
    [{ links: [{ peer: 0, cut: true }] }, /this validator/],
    [{ links: [{ peer: 1, delay_ms: 'slow' }] }, /must be numbers/],
    [{ links: [{ peer: 1, drop_rate: 2 }] }, /drop_rate/],
  ])('rejects links %j', async (params, message) => {
    const { links, methods } = setUp()
    const rejection = call(methods, 'unsafe_set_link_faults', params)
    await expect(rejection).rejects.toBeInstanceOf(RpcError)
    await expect(rejection).rejects.toThrow(message)
    expect(links.active).toBe(false)
  })

  it('steps the clock and refuses a skew that is not a whole number of ms', async () => {
    const { clock, methods } = setUp()
    await call(methods, 'unsafe_set_clock_skew', { skew_ms: 9_000 })
    expect(clock.skewMs).toBe(9_000)
    await expect(call(methods, 'unsafe_set_clock_skew', { skew_ms: 1.5 })).rejects.toThrow(/whole number/)
    await expect(call(methods, 'unsafe_set_clock_skew', {})).rejects.toThrow(/skew_ms/)
    expect(clock.skewMs).toBe(9_000)
  })
})
