// Gossiped transactions at the frame router: each transaction of a batch goes through admission exactly as a
// single one would, and is scored as today (only what no honest peer sends costs points); a malformed batch is
// rejected whole, with a named reason, counted and scored; and a peer's transactions are bounded per second
// whatever frames carry them, so a batch buys no extra admission rate.
// Seeded (QUORATE_SEED overrides); fast-check prints the seed and path of any counterexample.

import fc from 'fast-check'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import type { PeerNetwork } from '../../node/env/network.js'
import { AdmissionCode, type AdmissionResult } from '../../node/mempool/admission.js'
import { NodeMetrics } from '../../node/metrics.js'
import { txGossipLimits } from '../../node/protocols.js'
import { FrameRouter, type FrameRouterDeps } from '../../node/validator/frame-router.js'
import {
  decodeTxBatch,
  encodeTxBatch,
  TxBatchDecodeError,
  type TxBatchRejection,
  txBatchTxCountMax,
  txBatchVersion,
} from '../../node/validator/tx-batch-codec.js'
import type { PenaltyReason } from '../../p2p/index.js'
import { Prng } from '../sim/prng.js'
import { simChain } from '../sim/sim-genesis.js'
import { propertyParameters } from '../support/arbitraries.js'
import { ManualClock } from '../support/manual-clock.js'

const chain = simChain(new Prng(3), 4, 0)
const [peerA, peerB] = chain.genesis.validators.slice(1).map((v) => toHex(v.nodeKey)) as [string, string]

/** Transactions the admission double answers by their first byte: what a real admission would say of them. */
const txOk = 0x01
const txBadSignature = 0xbb
const txAlreadyPending = 0xdd
const codeOf: Readonly<Record<number, AdmissionCode>> = {
  [txOk]: AdmissionCode.ok,
  [txBadSignature]: AdmissionCode.badSignature,
  [txAlreadyPending]: AdmissionCode.alreadyPending,
}

/** A dependency the router must not touch on these paths: any use fails the test. */
function untouched<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => {
      throw new Error(`the frame router used ${what} while handling transactions`)
    },
  })
}

function routerHarness() {
  const clock = new ManualClock(1_000_000)
  const metrics = new NodeMetrics()
  const admitted: Uint8Array[] = []
  const penalties: Array<{ peer: string; reason: PenaltyReason }> = []
  const network: PeerNetwork = {
    connectedPeers: () => [peerA, peerB],
    send: () => true,
    broadcast: () => {},
    penalize: (peer, reason) => penalties.push({ peer, reason }),
  }
  const deps: FrameRouterDeps = {
    genesis: chain.genesis,
    verifier: untouched('the message verifier'),
    network,
    clock,
    metrics,
    logger: pino({ level: 'silent' }),
    consensus: () => {
      throw new Error('a transaction reached consensus')
    },
    leaderOverBlock: () => {
      throw new Error('a transaction reached leader election')
    },
    noticeProposalHeight: () => {},
    sync: async () => {},
    admitTx: async (bytes): Promise<AdmissionResult> => {
      admitted.push(bytes)
      return { hashHex: null, code: codeOf[bytes[0]!] ?? AdmissionCode.malformed, log: '', tx: null }
    },
    evidence: untouched('the evidence pool'),
  }
  const router = new FrameRouter(deps)
  /** Rejections counted for `labels` (protocol, reason, peer index). */
  const rejected = async (labels: Record<string, string>): Promise<number> =>
    (await metrics.rejectedMessages.get()).values
      .filter((v) => {
        const sample: Readonly<Record<string, unknown>> = v.labels
        return Object.entries(labels).every(([key, value]) => sample[key] === value)
      })
      .reduce((sum, v) => sum + v.value, 0)
  return { clock, router, admitted, penalties, rejected }
}

/** Lets the admission promises settle (the double answers at once). */
const settled = () => new Promise((resolve) => setImmediate(resolve))

const txOf = (kind: number, serial: number) => Uint8Array.of(kind, serial >> 8, serial & 0xff, 0x55)

describe('transactions gossiped to the frame router', () => {
  it('each transaction of a batch goes to admission, in order; honest ones cost nothing', async () => {
    const { router, admitted, penalties, rejected } = routerHarness()
    const txs = Array.from({ length: txBatchTxCountMax }, (_, i) => txOf(txOk, i))
    router.route('tx-batch', peerA, encodeTxBatch(txs))
    await settled()
    expect(admitted).toEqual(txs)
    expect(await rejected({})).toBe(0)
    expect(penalties).toEqual([])
  })

  it('scores per transaction as single frames are: a bad signature costs, an already pending one does not', async () => {
    const { router, admitted, penalties, rejected } = routerHarness()
    const txs = [txOf(txOk, 1), txOf(txBadSignature, 2), txOf(txAlreadyPending, 3), txOf(txBadSignature, 4)]
    router.route('tx-batch', peerA, encodeTxBatch(txs))
    await settled()
    expect(admitted).toEqual(txs)
    const reason = `admission-${AdmissionCode.badSignature}`
    expect(await rejected({ protocol: 'tx-batch', reason, peer: '1' })).toBe(2)
    expect(await rejected({})).toBe(2)
    expect(penalties).toEqual([
      { peer: peerA, reason: 'invalid-frame' },
      { peer: peerA, reason: 'invalid-frame' },
    ])
  })

  it('a single-transaction tx frame still goes to admission, and is scored the same way', async () => {
    const { router, admitted, penalties, rejected } = routerHarness()
    router.route('tx', peerB, txOf(txOk, 1))
    router.route('tx', peerB, txOf(txBadSignature, 2))
    await settled()
    expect(admitted).toEqual([txOf(txOk, 1), txOf(txBadSignature, 2)])
    expect(
      await rejected({ protocol: 'tx', reason: `admission-${AdmissionCode.badSignature}`, peer: '2' }),
    ).toBe(1)
    expect(penalties).toEqual([{ peer: peerB, reason: 'invalid-frame' }])
  })

  it('a malformed batch is rejected whole with its reason, counted and scored; nothing of it is admitted', async () => {
    const { router, admitted, penalties, rejected } = routerHarness()
    const good = encodeTxBatch([txOf(txOk, 1), txOf(txOk, 2)])
    const header = (count: number) => Uint8Array.of(txBatchVersion, count >> 8, count & 0xff)
    const hostile: ReadonlyArray<[Uint8Array, string]> = [
      [Uint8Array.of(...good, 0), 'malformed-trailing-bytes'],
      [good.subarray(0, good.length - 1), 'malformed-truncated'],
      [
        Uint8Array.of(...header(txBatchTxCountMax + 1), ...new Uint8Array(3 * (txBatchTxCountMax + 1))),
        'malformed-too-many-txs',
      ],
      [Uint8Array.of(...header(1), 0xff, 0xff, ...new Uint8Array(8)), 'malformed-bad-tx-length'],
      [Uint8Array.of(...header(0)), 'malformed-no-txs'],
      [Uint8Array.of(7, ...good.subarray(1)), 'malformed-unknown-version'],
      [new Uint8Array(70_000), 'malformed-too-many-bytes'],
    ]
    for (const [frame] of hostile) router.route('tx-batch', peerA, frame)
    await settled()
    expect(admitted).toEqual([])
    for (const [, reason] of hostile) {
      expect(await rejected({ protocol: 'tx-batch', reason, peer: '1' }), reason).toBe(1)
    }
    expect(penalties).toEqual(hostile.map(() => ({ peer: peerA, reason: 'invalid-frame' })))
  })

  it('no bytes on the tx-batch protocol throw out of the router; an undecodable frame is one rejection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_048 }), async (bytes) => {
        const { router, admitted, rejected, penalties } = routerHarness()
        let decoded: Uint8Array[] | null = null
        try {
          decoded = decodeTxBatch(bytes)
        } catch (error) {
          if (!(error instanceof TxBatchDecodeError)) throw error
        }
        expect(() => router.route('tx-batch', peerA, bytes)).not.toThrow()
        await settled()
        const malformed = await malformedCount(rejected)
        if (decoded === null) {
          expect(malformed).toBe(1)
          expect(admitted).toEqual([])
          expect(penalties).toEqual([{ peer: peerA, reason: 'invalid-frame' }])
        } else {
          expect(malformed).toBe(0)
          expect(admitted).toEqual(decoded)
        }
      }),
      propertyParameters(300),
    )
  })

  it("a peer's transactions beyond its budget are dropped as a flood, whatever frames carry them; other peers keep theirs", async () => {
    const { clock, router, admitted, penalties, rejected } = routerHarness()
    const batch = encodeTxBatch(Array.from({ length: txBatchTxCountMax }, (_, i) => txOf(txOk, i)))
    const batches = Math.ceil(txGossipLimits.burstTxsMax / txBatchTxCountMax)
    for (let i = 0; i < batches; i++) router.route('tx-batch', peerA, batch)
    router.route('tx', peerA, txOf(txOk, 9))
    await settled()
    const over = batches * txBatchTxCountMax - txGossipLimits.burstTxsMax
    expect(admitted.length).toBe(txGossipLimits.burstTxsMax)
    expect(await rejected({ protocol: 'tx-batch', reason: 'flood', peer: '1' })).toBe(over)
    expect(await rejected({ protocol: 'tx', reason: 'flood', peer: '1' })).toBe(1)
    expect(penalties).toEqual([
      { peer: peerA, reason: 'flood' },
      { peer: peerA, reason: 'flood' },
    ])
    // Another peer's budget is its own.
    router.route('tx-batch', peerB, batch)
    await settled()
    expect(admitted.length).toBe(txGossipLimits.burstTxsMax + txBatchTxCountMax)
    // The budget refills at txsPerSecondMax.
    clock.advance(1_000)
    admitted.length = 0
    for (let i = 0; i < batches; i++) router.route('tx-batch', peerA, batch)
    await settled()
    expect(admitted.length).toBe(txGossipLimits.txsPerSecondMax)
  })
})

/** Batches rejected as malformed, whatever the reason. */
async function malformedCount(
  rejected: (labels: Record<string, string>) => Promise<number>,
): Promise<number> {
  const reasons: readonly TxBatchRejection[] = [
    'too-many-bytes',
    'unknown-version',
    'truncated',
    'no-txs',
    'too-many-txs',
    'bad-tx-length',
    'trailing-bytes',
  ]
  let total = 0
  for (const reason of reasons) {
    total += await rejected({ protocol: 'tx-batch', reason: `malformed-${reason}` })
  }
  return total
}
