// Transaction gossip between whole validators (as shipped, over in-memory storage and a network double that
// records every frame): the transactions clients submit in one tick leave as ceil(N / txBatchTxCountMax)
// tx-batch frames per peer, never as one frame each; the receiving validator admits every one of them; and a
// hostile batch is rejected, counted and scored without harming the receiver.
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { nodeSignatureVerifier } from '../../crypto/index.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { genesisChain, LedgerStore, SafetyStore } from '../../ledger/store/index.js'
import { buildTransfer } from '../../node/client/transfer.js'
import type { PeerNetwork, ProtocolName } from '../../node/env/network.js'
import { AdmissionCode } from '../../node/mempool/admission.js'
import { NodeMetrics } from '../../node/metrics.js'
import { encodeTxBatch, txBatchTxCountMax, txBatchVersion } from '../../node/validator/tx-batch-codec.js'
import { Validator } from '../../node/validator/validator.js'
import type { PenaltyReason } from '../../p2p/index.js'
import { Prng } from '../sim/prng.js'
import { simChain } from '../sim/sim-genesis.js'
import { CrashableDisk } from '../support/crashable-disk.js'
import { ManualClock } from '../support/manual-clock.js'

const clientCount = 6
const chain = simChain(new Prng(29), 4, clientCount)
const nodeKeys = chain.genesis.validators.map((v) => toHex(v.nodeKey))
/** Generous: admissions run on libuv's pool on a shared machine; this bounds a hang, it measures nothing. */
const admissionWaitMs = 30_000

interface Sent {
  readonly peer: string
  readonly protocol: ProtocolName
  readonly frame: Uint8Array
}

/** Every peer of `self` connected; every frame and penalty recorded. */
class RecordingNetwork implements PeerNetwork {
  readonly sent: Sent[] = []
  readonly penalties: Array<{ peer: string; reason: PenaltyReason }> = []
  constructor(private readonly self: number) {}
  connectedPeers(): readonly string[] {
    return nodeKeys.filter((_, index) => index !== this.self)
  }
  send(peer: string, protocol: ProtocolName, frame: Uint8Array): boolean {
    this.sent.push({ peer, protocol, frame })
    return true
  }
  broadcast(protocol: ProtocolName, frame: Uint8Array): void {
    for (const peer of this.connectedPeers()) this.send(peer, protocol, frame)
  }
  penalize(peer: string, reason: PenaltyReason): void {
    this.penalties.push({ peer, reason })
  }
}

interface Running {
  readonly validator: Validator
  readonly network: RecordingNetwork
  readonly metrics: NodeMetrics
  close(): Promise<void>
}

async function startValidator(index: number, clock: ManualClock): Promise<Running> {
  const disk = new CrashableDisk()
  const ledger = await LedgerStore.open({
    dir: `/virtual/${index}/data`,
    database: disk.database('data'),
    ...genesisChain(chain.genesis),
  })
  const { store: safety } = await SafetyStore.open({
    dir: `/virtual/${index}/safety`,
    database: disk.database('safety'),
    chainId: chain.genesis.chainId,
    genesisHash: chain.hash,
  })
  const network = new RecordingNetwork(index)
  const metrics = new NodeMetrics()
  const validator = await Validator.create(
    {
      clock,
      network,
      random: () => 0.5,
      signatures: nodeSignatureVerifier,
      logger: pino({ level: 'silent' }),
      metrics,
    },
    { ledger, safety, dataDir: `/virtual/${index}/data` },
    {
      genesis: chain.genesis,
      consensusSecretKey: chain.consensusKeys[index]!.secretKey,
      blockIntervalMs: 100,
      createEmptyBlocks: false,
    },
  )
  validator.start()
  return {
    validator,
    network,
    metrics,
    close: async () => {
      await validator.close()
      await ledger.close()
      await safety.close()
    },
  }
}

/** `count` well-signed transfers, spread over the funded clients (nonces in order per client). */
function transfers(count: number, nonceBase = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    encodeTx(
      buildTransfer({
        chainId: chain.genesis.chainId,
        keyPair: chain.clientKeys[i % clientCount]!,
        to: chain.clientKeys[(i + 1) % clientCount]!.publicKey,
        amount: 1n,
        nonce: nonceBase + Math.floor(i / clientCount),
      }),
    ),
  )
}

async function rejectedCount(metrics: NodeMetrics, labels: Record<string, string>): Promise<number> {
  return (await metrics.rejectedMessages.get()).values
    .filter((v) => {
      const sample: Readonly<Record<string, unknown>> = v.labels
      return Object.entries(labels).every(([key, value]) => sample[key] === value)
    })
    .reduce((sum, v) => sum + v.value, 0)
}

const running: Running[] = []
afterEach(async () => {
  for (const node of running.splice(0)) await node.close()
})

describe('transaction gossip in batches, between validators as shipped', () => {
  it('N transactions submitted in one tick leave as ceil(N / txBatchTxCountMax) frames per peer, and the receiver admits them all', async () => {
    const clock = new ManualClock(0)
    const sender = await startValidator(0, clock)
    const receiver = await startValidator(1, clock)
    running.push(sender, receiver)
    const count = 2 * txBatchTxCountMax + 5
    const txs = transfers(count)
    const results = await Promise.all(txs.map((tx) => sender.validator.submitTx(tx)))
    expect(results.map((r) => r.code)).toEqual(txs.map(() => AdmissionCode.ok))
    clock.advance(0)

    const gossip = sender.network.sent.filter((s) => s.protocol === 'tx' || s.protocol === 'tx-batch')
    for (const peer of nodeKeys.slice(1)) {
      const frames = gossip.filter((s) => s.peer === peer)
      expect(frames.map((s) => s.protocol)).toEqual(
        Array.from({ length: Math.ceil(count / txBatchTxCountMax) }, () => 'tx-batch'),
      )
    }

    for (const s of gossip.filter((each) => each.peer === nodeKeys[1])) {
      receiver.validator.onFrame(s.protocol, nodeKeys[0]!, s.frame)
    }
    await vi.waitFor(() => expect(receiver.validator.mempool.size).toBe(count), {
      timeout: admissionWaitMs,
      interval: 5,
    })
    expect(await rejectedCount(receiver.metrics, {})).toBe(0)
    expect(receiver.network.penalties).toEqual([])
    // What a peer gave us is not gossiped on (every validator hears from the one that admitted it).
    clock.advance(0)
    expect(receiver.network.sent.filter((s) => s.protocol === 'tx-batch')).toEqual([])
  })

  it('a hostile batch is rejected, counted and scored; the receiver admits the next honest batch', async () => {
    const clock = new ManualClock(0)
    const receiver = await startValidator(1, clock)
    running.push(receiver)
    const honest = transfers(3)
    // Declares more transactions than a batch may carry; each entry is a real transaction.
    const entries = transfers(txBatchTxCountMax + 1, 10).flatMap((tx) => [
      tx.length >> 8,
      tx.length & 0xff,
      ...tx,
    ])
    const count = txBatchTxCountMax + 1
    const hostile = Uint8Array.of(txBatchVersion, count >> 8, count & 0xff, ...entries)
    receiver.validator.onFrame('tx-batch', nodeKeys[0]!, hostile)
    receiver.validator.onFrame('tx-batch', nodeKeys[0]!, Uint8Array.of(...encodeTxBatch(honest), 0))
    receiver.validator.onFrame('tx-batch', nodeKeys[0]!, encodeTxBatch(honest))
    await vi.waitFor(() => expect(receiver.validator.mempool.size).toBe(honest.length), {
      timeout: admissionWaitMs,
      interval: 5,
    })
    const from = { protocol: 'tx-batch', peer: '0' }
    expect(await rejectedCount(receiver.metrics, { ...from, reason: 'malformed-too-many-txs' })).toBe(1)
    expect(await rejectedCount(receiver.metrics, { ...from, reason: 'malformed-trailing-bytes' })).toBe(1)
    expect(await rejectedCount(receiver.metrics, {})).toBe(2)
    expect(receiver.network.penalties).toEqual([
      { peer: nodeKeys[0], reason: 'invalid-frame' },
      { peer: nodeKeys[0], reason: 'invalid-frame' },
    ])
    expect(receiver.validator.failure).toBeNull()
  })
})
