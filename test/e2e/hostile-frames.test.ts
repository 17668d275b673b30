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
import { readMetrics, type Sample, total } from '../support/metrics-scrape.js'
import { checkAgreementUpTo, status, waitFor } from '../support/rpc-checks.js'

const seed = propertySeed()
const replay = `reproduce with QUORATE_SEED=${seed}`
const validatorCount = 4
const hostileIndex = 3
const framesPerStream = 100
const floodMs = 3_000
const blocksAfterAttackMin = 10
/** How long a validator may take to process (and count) what it was sent. */
const countSettleTimeoutMs = 15_000

/** What an honest validator counted since a snapshot: each kind of bad input has its own counter. */
interface Counts {
  consensusRejected: number
  consensusMalformed: number
  consensusBadSignature: number
  txMalformed: number
  txBadSignature: number
  syncMalformed: number
  evidenceMalformed: number
  framesTooLarge: number
  streamErrors: number
  floodReports: number
  banned: number
}

const rejected = 'quorate_rejected_messages_total'
const admissions = 'quorate_tx_admissions_total'
const peerEvents = 'quorate_peer_events_total'

function countedSince(before: readonly Sample[], after: readonly Sample[]): Counts {
  const delta = (name: string, labels: Record<string, string> = {}) =>
    total(after, name, labels) - total(before, name, labels)
  // Rejections and peer events are counted by peer: only those of the hostile peer's validator index count.
  const hostile = { peer: String(hostileIndex) }
  return {
    consensusRejected: delta(rejected, { protocol: 'consensus', ...hostile }),
    consensusMalformed: delta(rejected, { protocol: 'consensus', reason: 'malformed', ...hostile }),
    consensusBadSignature: delta(rejected, { protocol: 'consensus', reason: 'bad-signature', ...hostile }),
    // Transactions from peers go through mempool admission: codes of node/mempool/admission.ts.
    txMalformed: delta(admissions, { result: 'rejected-10' }),
    txBadSignature: delta(admissions, { result: 'rejected-12' }),
    syncMalformed: delta(rejected, { protocol: 'sync', reason: 'malformed', ...hostile }),
    evidenceMalformed: delta(rejected, { protocol: 'evidence', reason: 'malformed', ...hostile }),
    framesTooLarge: delta(peerEvents, { kind: 'frame-too-large', ...hostile }),
    streamErrors: delta(peerEvents, { kind: 'stream-error', ...hostile }),
    floodReports: delta(peerEvents, { kind: 'flood-dropped', ...hostile }),
    banned: delta(peerEvents, { kind: 'banned', ...hostile }),
  }
}

/** Polls the validator's /metrics until `done` holds of its counts since `before`; returns the last counts. */
async function countsOnceSettled(
  metricsUrl: string,
  before: readonly Sample[],
  done: (counts: Counts) => boolean,
): Promise<Counts> {
  let counts = countedSince(before, before)
  const deadline = Date.now() + countSettleTimeoutMs
  do {
    counts = countedSince(before, await readMetrics(metricsUrl))
    if (done(counts)) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  } while (Date.now() < deadline)
  return counts
}

describe(`a permitted peer sending malformed, truncated, oversized and badly signed frames over real libp2p streams (seed ${seed})`, () => {
  let testnet: RunningTestnet | undefined
  let hostile: HostilePeer | undefined
  let dir: string | undefined

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-hostile-'))
    testnet = await startTestnet({
      dir,
      // These checks count blocks, not only transfers: empty blocks keep the chain moving between them.
      createEmptyBlocks: true,
      validators: validatorCount,
      accounts: 1,
      basePort: await freeBasePort(4),
    })
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
    const badConsensus = badSignatureConsensusMessages({ seed, count: framesPerStream, validatorCount })
    const payloads: HostileStreamPayload[] = [
      ...hostileProtocols.map((protocol) =>
        framesPayload(
          'undecodable-bodies',
          protocol,
          prng,
          undecodableBodies(protocol, prng, framesPerStream),
        ),
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
    // Each kind of bad input to each honest validator, one stream at a time (per validator). Every frame is
    // rejected and counted; the penalties lower the hostile peer's score until the validator bans it and closes
    // the connection, so later streams (and the flood) may be refused: that is the defence working.
    const before = await Promise.all(honest.map((v) => readMetrics(v.metrics)))
    const sent = await Promise.all(
      targets.map(async (target) => {
        let streams = 0
        for (const payload of payloads) {
          try {
            await hostile!.sendStream(target, payload)
            streams++
          } catch {
            break // banned: the connection is gone and new ones are refused
          }
        }
        try {
          await hostile!.flood(target, consensus.id, floodFrames, AbortSignal.timeout(floodMs))
        } catch {
          // banned before or during the flood
        }
        return streams
      }),
    )
    expect(
      sent.some((streams) => streams > 0),
      'some bad input reached the validators',
    ).toBe(true)
    for (const [i, validator] of honest.entries()) {
      const counts = await countsOnceSettled(
        validator.metrics,
        before[i]!,
        (c) =>
          c.consensusRejected + c.consensusMalformed + c.syncMalformed + c.evidenceMalformed + c.txMalformed >
            0 && c.banned > 0,
      )
      const rejections =
        counts.consensusRejected + counts.syncMalformed + counts.evidenceMalformed + counts.txMalformed
      expect(rejections, `${validator.name} counted the bad frames it rejected (${replay})`).toBeGreaterThan(
        0,
      )
      expect(counts.banned, `${validator.name} banned the hostile peer (${replay})`).toBeGreaterThan(0)
    }

    // Still running and answering, and the chain keeps growing with agreement at every height.
    const heightsAfterAttack: number[] = []
    for (const validator of honest) {
      const child = processes.processes.find((p) => p.index === validator.index)
      expect(child?.running, `${validator.name} is running`).toBe(true)
      expect(() => process.kill(validator.pid, 0), `${validator.name} pid is alive`).not.toThrow()
      heightsAfterAttack.push((await status(validator.rpc)).height)
    }
    const heightAfterAttack = Math.max(...heightsAfterAttack)
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
