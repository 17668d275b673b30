import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readKeyFile } from '../../crypto/index.js'
import { encodeConsensusMessage } from '../../ledger/codec/index.js'
import { homePaths } from '../../node/config.js'
import { encodeFrame } from '../../p2p/frame-codec.js'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { Prng } from '../sim/prng.js'
import { propertySeed } from '../support/arbitraries.js'
import { freeBasePort } from '../support/free-ports.js'
import {
  badSignatureConsensusMessages,
  badSignatureTxs,
  framesPayload,
  framingAttacks,
  HostilePeer,
  type HostileStreamPayload,
  type HostileTarget,
  hostileProtocol,
  hostileProtocols,
  undecodableBodies,
} from '../support/hostile-peer.js'
import { checkAgreementUpTo, status, waitFor } from '../support/rpc-checks.js'

const seed = propertySeed()
const replay = `reproduce with QUORATE_SEED=${seed}`
const validatorCount = 4
const hostileIndex = 3
const framesPerStream = 100
const floodMs = 3_000
const blocksAfterAttackMin = 10

interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** Parses the Prometheus text format (prom-client's output: no timestamps). */
async function readMetrics(url: string): Promise<Sample[]> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line)
    if (match === null) continue
    const labels: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of the samples of `name` whose labels include all of `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0)
}

/** What each honest validator must have counted, at least, for the bad input it was sent. */
interface ExpectedCounts {
  consensusRejected: number
  consensusMalformed: number
  consensusBadSignature: number
  txMalformed: number
  txBadSignature: number
  syncMalformed: number
  framesTooLarge: number
  streamErrors: number
}

const rejected = 'quorate_rejected_messages_total'
const admissions = 'quorate_tx_admissions_total'
const peerEvents = 'quorate_peer_events_total'

function countedSince(before: readonly Sample[], after: readonly Sample[]): ExpectedCounts {
  const delta = (name: string, labels: Record<string, string> = {}) =>
    total(after, name, labels) - total(before, name, labels)
  return {
    consensusRejected: delta(rejected, { protocol: 'consensus' }),
    consensusMalformed: delta(rejected, { protocol: 'consensus', reason: 'malformed' }),
    consensusBadSignature: delta(rejected, { protocol: 'consensus', reason: 'bad-signature' }),
    // Transactions from peers go through mempool admission; codes as in node/mempool/admission.ts.
    txMalformed: delta(admissions, { result: 'rejected-10' }),
    txBadSignature: delta(admissions, { result: 'rejected-12' }),
    syncMalformed: delta(rejected, { protocol: 'sync', reason: 'malformed' }),
    framesTooLarge: delta(peerEvents, { kind: 'frame-too-large' }),
    streamErrors: delta(peerEvents, { kind: 'stream-error' }),
  }
}

function meetsExpectations(counted: ExpectedCounts, expected: ExpectedCounts): boolean {
  return (Object.keys(expected) as (keyof ExpectedCounts)[]).every((key) => counted[key] >= expected[key])
}

describe(`a permitted peer sending malformed, truncated, oversized and badly signed frames over real libp2p streams (seed ${seed})`, () => {
  let testnet: RunningTestnet | undefined
  let hostile: HostilePeer | undefined
  let dir: string | undefined

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-hostile-'))
    testnet = await startTestnet({ dir, validators: validatorCount, accounts: 1, basePort: await freeBasePort(4) })
  }, 60_000)

  afterAll(async () => {
    await hostile?.close().catch(() => undefined)
    await testnet?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('every honest validator rejects and counts each frame, stays up, keeps committing and agrees', async () => {
    const { info, layout, processes } = testnet!
    const honest = info.validators.filter((v) => v.index !== hostileIndex)
    const honestRpcs = honest.map((v) => v.rpc)

    // The hostile peer takes validator 3's identity: the honest gaters admit it as a member of the set.
    await processes.stopOne(hostileIndex)
    const nodeKey = await readKeyFile(homePaths(layout.validators[hostileIndex]!.home).nodeKey)
    const targets: HostileTarget[] = await Promise.all(
      honest.map(async (v) => ({ address: v.p2p, peerId: (await status(v.rpc)).node_id })),
    )
    hostile = await HostilePeer.create({
      nodeSecretKey: nodeKey.secretKey,
      permittedPeerIds: targets.map((t) => t.peerId),
    })
    for (const target of targets) await hostile.connect(target)
    await waitFor('the 3 honest validators to commit', async () => {
      const heights = await Promise.all(honestRpcs.map(async (rpc) => (await status(rpc)).height))
      return heights.every((h) => h >= 3)
    })

    // The same payloads for every validator, from one seed.
    const prng = new Prng(seed)
    const consensus = hostileProtocol('consensus')
    const tx = hostileProtocol('tx')
    const sync = hostileProtocol('sync')
    const badConsensus = badSignatureConsensusMessages({ seed, count: framesPerStream, validatorCount })
    const payloads: HostileStreamPayload[] = [
      ...hostileProtocols.map((protocol) =>
        framesPayload('undecodable-bodies', protocol, prng, undecodableBodies(protocol, prng, framesPerStream)),
      ),
      framesPayload(
        'bad-signatures',
        consensus,
        prng,
        badConsensus.map((message) => encodeConsensusMessage(message)),
      ),
      framesPayload(
        'bad-signatures',
        tx,
        prng,
        badSignatureTxs({ seed, count: framesPerStream, chainId: info.chain_id }),
      ),
      ...hostileProtocols.flatMap((protocol) => framingAttacks(protocol, prng)),
    ]
    const floodFrames = [
      ...undecodableBodies(consensus, prng, 200),
      ...badSignatureConsensusMessages({ seed: seed + 1, count: 200, validatorCount }).map((message) =>
        encodeConsensusMessage(message),
      ),
    ].map((body) => encodeFrame(body))
    const framingStreams = payloads.filter((p) => p.frameCount === 0)
    const expected: ExpectedCounts = {
      consensusRejected: 2 * framesPerStream,
      consensusMalformed: framesPerStream,
      consensusBadSignature: badConsensus.filter((message) => message.kind === 'vote').length,
      txMalformed: framesPerStream,
      txBadSignature: framesPerStream,
      syncMalformed: framesPerStream,
      framesTooLarge: framingStreams.filter((p) => p.kind === 'oversized' || p.kind === 'prefix-overlong')
        .length,
      streamErrors: framingStreams.filter((p) => !(p.kind === 'oversized' || p.kind === 'prefix-overlong'))
        .length,
    }
    expect(sync.frameBytesMax).toBeGreaterThan(tx.frameBytesMax)

    const before = await Promise.all(honest.map((v) => readMetrics(v.metrics)))
    // Each kind of bad input to each honest validator, one stream at a time per validator, then a flood of
    // undecodable and badly signed consensus frames to all three at once.
    await Promise.all(
      targets.map(async (target) => {
        for (const payload of payloads) await hostile!.sendStream(target, payload)
      }),
    )
    const flooding = AbortSignal.timeout(floodMs)
    const floods = await Promise.all(
      targets.map((target) => hostile!.flood(target, consensus.id, floodFrames, flooding)),
    )
    for (const [i, flood] of floods.entries()) {
      expect(flood.framesWritten, `the flood reached ${honest[i]!.name}`).toBeGreaterThan(floodFrames.length)
    }

    // Every frame was rejected and counted, the framing errors as peer events.
    for (const [i, validator] of honest.entries()) {
      const expectedHere = {
        ...expected,
        consensusRejected: expected.consensusRejected + floods[i]!.framesWritten,
      }
      let counted = countedSince(before[i]!, before[i]!)
      await waitFor(
        `${validator.name} to count every rejection`,
        async () => {
          counted = countedSince(before[i]!, await readMetrics(validator.metrics))
          return meetsExpectations(counted, expectedHere)
        },
        20_000,
      ).catch(() => undefined)
      for (const key of Object.keys(expectedHere) as (keyof ExpectedCounts)[]) {
        expect(counted[key], `${validator.name} counted ${key} (${replay})`).toBeGreaterThanOrEqual(
          expectedHere[key],
        )
      }
    }

    // Still running and answering, and the chain keeps growing with agreement at every height.
    for (const validator of honest) {
      expect(processes.processes[validator.index]!.running, `${validator.name} is running`).toBe(true)
      expect(() => process.kill(validator.pid, 0), `${validator.name} pid is alive`).not.toThrow()
    }
    const heightAfterAttack = Math.max(
      ...(await Promise.all(honestRpcs.map(async (rpc) => (await status(rpc)).height))),
    )
    await waitFor(
      `${blocksAfterAttackMin} more blocks on every honest validator after the attack (${replay})`,
      async () => {
        const heights = await Promise.all(honestRpcs.map(async (rpc) => (await status(rpc)).height))
        return heights.every((h) => h >= heightAfterAttack + blocksAfterAttackMin)
      },
      30_000,
    )
    const top = Math.min(...(await Promise.all(honestRpcs.map(async (rpc) => (await status(rpc)).height))))
    await checkAgreementUpTo(honestRpcs, top)
  }, 90_000)
})
