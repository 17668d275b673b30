// The SyncService as a validator runs it (issue 8 §2, items 1 and 2), with consensus recorded and peers
// wired in-process over the /quorate/sync/1.0.0 codec. The served chain is a real committed chain with real
// QCs from the deterministic simulated cluster (seeded: QUORATE_SEED overrides). Properties:
//   1. Forged sync triggers never pause consensus: far-ahead proposal heights only ask peers for their heads
//      (at most one probe per headProbeIntervalMs), forged heads are rejected as 'invalid-qc', and heads
//      nobody asked for (even real ones) are dropped as 'unsolicited' without a penalty.
//   2. An authenticated head far ahead proves the gap: block sync runs (consensus paused) and catches up,
//      and consensus resumes over a state rebuilt from the store with the unproven tail and 'start'.
//   3. A block sync that cannot close the gap (a peer proves a real head but serves nothing) backs off
//      exponentially before the next pause.
//   4. A failed commit ends block sync; consensus resumes from a state rebuilt from the store, nothing more
//      is committed; once the backoff ends, block sync picks up from the store's head.
//   5. A burst of 1,000 fetches for distinct hashes: at most blockFetchesOutstandingMax are taken (the rest
//      refused, nothing forgotten), each hash is asked of one peer at a time, and no peer ever has more sync
//      requests being served than an honest server accepts, nor receives frames faster than its p2p
//      admission rate, even when peers are slower than the fetch timeout.
//   6. Committed history is never fetched.
//   7. The server answers at most syncRequestsServedPerPeerMax requests of one peer at once ('flood' beyond)
//      and syncRequestsServedMax overall ('overloaded' beyond: no peer's fault).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import {
  blockFetchAttemptTimeoutMs,
  blockFetchesOutstandingMax,
  blockSyncBackoffBaseMs,
  blockSyncBackoffMaxMs,
  headProbeIntervalMs,
  syncRequestsServedMax,
  syncRequestsServedPerPeerMax,
} from '../../ledger/limits.js'
import type { Hash } from '../../ledger/types.js'
import { StateDivergenceError } from '../../node/committer.js'
import type { CommittedBlock } from '../../node/consensus/index.js'
import { protocolLimits } from '../../node/protocols.js'
import { syncRequestBurstMax, syncRequestsPerSecondMax } from '../../node/sync/request-budget.js'
import type { SyncMessage } from '../../node/sync/sync-messages.js'
import { type ServeVerdict, SyncServer } from '../../node/sync/sync-server.js'
import { TokenBucket } from '../../p2p/token-bucket.js'
import { Prng } from '../sim/prng.js'
import { propertySeed } from '../support/arbitraries.js'
import { ManualClock } from '../support/manual-clock.js'
import {
  type ChainVerifier,
  honestPeer,
  memoryStore,
  newCommitter,
  newVerifier,
  rebuiltStateMarker,
  ServiceHarness,
  SyncFixture,
  type SyncPeer,
  TestClock,
} from '../support/sync-fixture.js'

const seed = propertySeed()
const reproduce = `reproduce with QUORATE_SEED=${seed}`

let fixture: SyncFixture
let verifier: ChainVerifier
let harness: ServiceHarness | undefined

beforeAll(async () => {
  fixture = await SyncFixture.create(seed)
  verifier = newVerifier(fixture.cluster)
})

afterEach(async () => {
  await harness?.close()
  harness = undefined
  await fixture.closeStores()
})

afterAll(async () => {
  await fixture?.close()
})

function chainHead(): SyncMessage {
  const head = fixture.chain.at(-1)!
  return { kind: 'head', header: head.block.header, qc: head.qc }
}

/** Heads a Byzantine peer can make up: each claims a far height that its certificate does not prove. */
function forgedHeads(): SyncMessage[] {
  const head = fixture.chain.at(-1)!
  const flipped = head.qc.signatures.map((signature, i) => {
    if (i > 0) return signature
    const copy = signature.slice()
    copy[5]! ^= 0x10
    return copy
  })
  return [
    { kind: 'head', header: { ...head.block.header, height: 1_000_000 }, qc: fixture.genesis.qc },
    { kind: 'head', header: { ...head.block.header, height: 1_000_000 }, qc: head.qc },
    { kind: 'head', header: head.block.header, qc: fixture.chain.at(-2)!.qc },
    { kind: 'head', header: head.block.header, qc: { ...head.qc, signatures: flipped } },
  ]
}

/** Polls (real time) until `condition` holds or `timeoutMs` passes; the caller asserts what it needs. */
async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs
  while (!condition() && performance.now() < deadlineMs)
    await new Promise((resolve) => setTimeout(resolve, 20))
}

function fetchedHashes(each: ServiceHarness): string[] {
  return each.consensus.enqueued.flatMap((input) =>
    input.kind === 'block-fetched' ? [toHex(fixture.chain[input.block.header.height - 1]!.hash)] : [],
  )
}

describe('SyncService: what starts block sync', () => {
  it('forged far-ahead heights, forged heads and unsolicited heads never pause consensus', async () => {
    const clock = new ManualClock()
    const prng = new Prng(seed)
    const genesis = fixture.genesis
    const forgeries = forgedHeads()
    let forgedReplies = 0
    const forger: SyncPeer = {
      id: 'forger',
      answer: async (request) => {
        if (request.kind !== 'get-head') return undefined
        forgedReplies++
        return forgeries[prng.int(0, forgeries.length - 1)]
      },
    }
    const honest = ['honest-1', 'honest-2'].map((id) =>
      honestPeer(id, memoryStore(fixture.chain, 0, genesis, clock), genesis),
    )
    harness = new ServiceHarness({
      store: memoryStore(fixture.chain, 0, genesis, clock),
      peers: [forger, ...honest],
      clock,
      verifier,
      genesis,
      random: () => prng.next(),
    })
    const runMs = 60_000
    const stepMs = 50
    let unsolicited = 0
    for (let elapsedMs = 0; elapsedMs < runMs; elapsedMs += stepMs) {
      // Between probes the forger was not asked: even the chain's real head is then unsolicited.
      if (elapsedMs % 1_000 === 500) {
        await harness.deliver('forger', chainHead())
        unsolicited++
      }
      // A forged proposal every step (it verified: one validator signed it), claiming a far height.
      harness.service.noticeHeight(1_000_000 + elapsedMs)
      await clock.settle(stepMs)
    }

    expect(harness.wiringErrors).toEqual([])
    expect(harness.consensus.pausedAtMs, `consensus was paused; ${reproduce}`).toEqual([])
    expect(harness.service.catchingUp).toBe(false)
    const probes = harness.sentTo('honest-1', 'get-head')
    expect(probes, 'one probe per interval at most').toBeLessThanOrEqual(1 + runMs / headProbeIntervalMs)
    expect(probes, 'the hint is followed up').toBeGreaterThanOrEqual(runMs / headProbeIntervalMs - 1)
    expect(harness.sentTo('forger', 'get-head')).toBe(probes)
    expect(harness.sent.filter(({ message }) => message.kind === 'get-blocks')).toEqual([])
    const forgerRejections = harness.rejectionsOf('forger')
    expect(forgerRejections.filter((reason) => reason === 'invalid-qc').length, reproduce).toBe(forgedReplies)
    expect(forgerRejections.filter((reason) => reason === 'unsolicited').length).toBe(unsolicited)
    expect(forgerRejections.length).toBe(forgedReplies + unsolicited)
    for (const peer of honest) expect(harness.rejectionsOf(peer.id)).toEqual([])
  })

  it('an authenticated head far ahead starts block sync: the node catches up and consensus resumes over the store', async () => {
    const clock = new TestClock()
    const store = await fixture.openEmptyStore()
    const committer = await newCommitter(store, fixture.cluster)
    const peers: SyncPeer[] = []
    for (let i = 1; i <= 3; i++)
      peers.push(honestPeer(`honest-${i}`, await fixture.openPeerStore(), fixture.genesis))
    let rebuiltAtHeight: number | undefined
    harness = new ServiceHarness({
      store,
      peers,
      clock,
      verifier,
      genesis: fixture.genesis,
      commit: (committed) => committer.commit(committed),
      rebuildState: async () => {
        rebuiltAtHeight = store.head().height
        return rebuiltStateMarker
      },
    })
    const { consensus } = harness
    harness.service.noticeHeight(fixture.headHeight)
    expect(consensus.paused, 'a proposal height alone does not pause').toBe(false)
    await waitUntil(() => consensus.resumedAtMs.length > 0 && !harness!.service.catchingUp, 60_000)

    expect(harness.wiringErrors).toEqual([])
    expect(consensus.pausedAtMs.length, reproduce).toBe(1)
    expect(consensus.resumedWith).toEqual([rebuiltStateMarker])
    expect(store.head().height, reproduce).toBe(fixture.provenHeight)
    expect(toHex(store.head().hash)).toBe(toHex(fixture.chain[fixture.provenHeight - 1]!.hash))
    expect(rebuiltAtHeight, 'the state is rebuilt from the store after the last commit').toBe(
      fixture.provenHeight,
    )
    // The unproven tail goes to consensus, then 'start'.
    const tailHashes = fixture.chain.slice(fixture.provenHeight).map(({ hash }) => toHex(hash))
    expect(fetchedHashes(harness)).toEqual(tailHashes)
    expect(consensus.enqueued.at(-1)?.kind).toBe('start')
    // Nothing was fetched before the head proved the gap.
    const firstGetBlocks = harness.sent.find(({ message }) => message.kind === 'get-blocks')
    expect(firstGetBlocks?.atMs).toBeGreaterThanOrEqual(consensus.pausedAtMs[0]!)
    expect(harness.rejected).toEqual([])
  })

  it('at boot: catches up when a peer proves a gap, and otherwise just starts consensus', async () => {
    const clock = new TestClock()
    const atGenesis = ['a', 'b'].map((id) =>
      honestPeer(id, memoryStore(fixture.chain, 0, fixture.genesis, clock), fixture.genesis),
    )
    const idle = new ServiceHarness({
      store: memoryStore(fixture.chain, 0, fixture.genesis, clock),
      peers: atGenesis,
      clock,
      verifier,
      genesis: fixture.genesis,
    })
    await idle.service.catchUp()
    expect(idle.sent.filter(({ message }) => message.kind === 'get-blocks')).toEqual([])
    expect(idle.consensus.enqueued.map((input) => input.kind)).toEqual(['start'])
    await idle.close()

    const store = await fixture.openEmptyStore()
    const committer = await newCommitter(store, fixture.cluster)
    harness = new ServiceHarness({
      store,
      peers: [honestPeer('ahead', await fixture.openPeerStore(), fixture.genesis)],
      clock,
      verifier,
      genesis: fixture.genesis,
      commit: (committed) => committer.commit(committed),
    })
    await harness.service.catchUp()
    expect(harness.wiringErrors).toEqual([])
    expect(store.head().height, reproduce).toBe(fixture.provenHeight)
    expect(harness.consensus.enqueued.at(-1)?.kind).toBe('start')
  })

  it('a peer that proves a real head but serves nothing: each pause ends, and the next waits out a doubling backoff', async () => {
    const clock = new ManualClock()
    const genesis = fixture.genesis
    // It holds nothing, but answers get-head with the chain's real head (a real certified block).
    const withholder: SyncPeer = {
      id: 'withholder',
      answer: async (request) => (request.kind === 'get-head' ? chainHead() : undefined),
    }
    const honest = honestPeer('honest', memoryStore(fixture.chain, 0, genesis, clock), genesis)
    harness = new ServiceHarness({
      store: memoryStore(fixture.chain, 0, genesis, clock),
      peers: [withholder, honest],
      clock,
      verifier,
      genesis,
    })
    const { consensus } = harness
    const runMs = 300_000
    const stepMs = 100
    let pausedMs = 0
    for (let elapsedMs = 0; elapsedMs < runMs; elapsedMs += stepMs) {
      harness.service.noticeHeight(fixture.headHeight)
      await clock.settle(stepMs)
      if (consensus.paused) pausedMs += stepMs
    }

    expect(harness.wiringErrors).toEqual([])
    const pauses = consensus.pausedAtMs
    expect(pauses.length, 'the real head is proof: block sync does start').toBeGreaterThanOrEqual(3)
    expect(consensus.resumedAtMs.length, 'every pause but perhaps the last has ended').toBeGreaterThanOrEqual(
      pauses.length - 1,
    )
    for (let k = 1; k < pauses.length; k++) {
      const backoffMs = Math.min(blockSyncBackoffMaxMs, blockSyncBackoffBaseMs * 2 ** (k - 1))
      expect(
        pauses[k]! - consensus.resumedAtMs[k - 1]!,
        `pause ${k} came too soon after the previous one; ${reproduce}`,
      ).toBeGreaterThanOrEqual(backoffMs)
    }
    expect(pausedMs, 'paused for most of the run').toBeLessThan(runMs / 4)
    expect(harness.rejectionsOf('withholder')).toContain('timeout')
    expect(harness.rejectionsOf('honest')).toEqual([])
  })
})

describe('SyncService: a failed commit during block sync', () => {
  it('ends block sync; consensus resumes from the store; after the backoff, sync goes on from the store', async () => {
    const clock = new TestClock()
    const store = await fixture.openEmptyStore()
    const committer = await newCommitter(store, fixture.cluster)
    const failAtHeight = 70
    const attempted: number[] = []
    let failed = false
    const commit = async (committed: CommittedBlock) => {
      attempted.push(committed.block.header.height)
      if (committed.block.header.height === failAtHeight && !failed) {
        failed = true
        throw new Error('injected: the store write failed')
      }
      return committer.commit(committed)
    }
    const rebuiltAt: number[] = []
    const peers: SyncPeer[] = []
    for (let i = 1; i <= 2; i++)
      peers.push(honestPeer(`honest-${i}`, await fixture.openPeerStore(), fixture.genesis))
    harness = new ServiceHarness({
      store,
      peers,
      clock,
      verifier,
      genesis: fixture.genesis,
      commit,
      rebuildState: async () => {
        rebuiltAt.push(store.head().height)
        return rebuiltStateMarker
      },
    })
    const { consensus } = harness
    harness.service.noticeHeight(fixture.headHeight)
    await waitUntil(() => consensus.resumedAtMs.length > 0 && !harness!.service.catchingUp, 60_000)

    expect(harness.wiringErrors).toEqual([])
    expect(failed, reproduce).toBe(true)
    expect(store.head().height, 'nothing is committed past the failure').toBe(failAtHeight - 1)
    expect(Math.max(...attempted), 'no commit is attempted after the failed one').toBe(failAtHeight)
    expect(rebuiltAt, 'consensus resumes from a state rebuilt from the store').toEqual([failAtHeight - 1])
    expect(consensus.resumedWith).toEqual([rebuiltStateMarker])
    expect(consensus.enqueued.map((input) => input.kind)).toEqual(['start'])

    // Within the backoff, proof of the same gap does not pause again.
    clock.advance(headProbeIntervalMs)
    const probesBefore = harness.sentTo('honest-1', 'get-head')
    harness.service.noticeHeight(fixture.headHeight)
    expect(harness.sentTo('honest-1', 'get-head')).toBe(probesBefore + 1)
    await harness.settle()
    expect(consensus.pausedAtMs.length).toBe(1)

    // After it, block sync picks up from the store's head and reaches the chain's proven height.
    clock.advance(blockSyncBackoffBaseMs)
    await waitUntil(() => consensus.resumedAtMs.length > 1 && !harness!.service.catchingUp, 60_000)
    expect(consensus.pausedAtMs.length, reproduce).toBe(2)
    expect(store.head().height, reproduce).toBe(fixture.provenHeight)
    expect(attempted.filter((height) => height === failAtHeight - 1).length).toBe(1)
  })
})

describe('SyncService: a state divergence found by block sync', () => {
  it('stops the validator: failure set, consensus stays paused, nothing after the divergent block is committed', async () => {
    const clock = new TestClock()
    const store = await fixture.openEmptyStore()
    const committer = await newCommitter(store, fixture.cluster)
    const divergeAtHeight = 40
    const commit = async (committed: CommittedBlock) => {
      const { height, stateRoot } = committed.block.header
      if (height === divergeAtHeight)
        throw new StateDivergenceError(
          height,
          height - 3,
          stateRoot.map((byte) => byte ^ 1),
          stateRoot,
        )
      return committer.commit(committed)
    }
    const peers = [honestPeer('honest-1', await fixture.openPeerStore(), fixture.genesis)]
    harness = new ServiceHarness({ store, peers, clock, verifier, genesis: fixture.genesis, commit })
    const { consensus } = harness
    harness.service.noticeHeight(fixture.headHeight)
    await waitUntil(() => harness!.service.failure !== null, 60_000)

    expect(harness.wiringErrors).toEqual([])
    expect(harness.service.failure, reproduce).toBeInstanceOf(StateDivergenceError)
    expect(store.head().height).toBe(divergeAtHeight - 1)
    expect(consensus.pausedAtMs.length).toBe(1)
    expect(consensus.resumedAtMs, 'consensus is never resumed over a diverged state').toEqual([])
    expect(consensus.enqueued).toEqual([])
  })
})

describe('SyncService: fetching missing blocks', () => {
  it('a burst of 1,000 fetches: bounded, one peer at a time per hash, within every peer’s bounds and rate', async () => {
    const clock = new ManualClock()
    const prng = new Prng(seed)
    const genesis = fixture.genesis
    const peerIds = ['p1', 'p2', 'p3']
    const servingNow = new Map<string, number>()
    const servingMax = new Map<string, number>()
    const verdicts: ServeVerdict[] = []
    const admissionDrops = new Map<string, number>()
    const admission = new Map(
      peerIds.map((id) => [
        id,
        new TokenBucket(
          protocolLimits.sync.burstFramesMax,
          protocolLimits.sync.framesPerSecondMax,
          clock.nowMs(),
        ),
      ]),
    )
    // Honest servers on a slow disk: a read takes up to 1.5 fetch timeouts, so clients give up on requests
    // the server is still answering.
    const peers: SyncPeer[] = peerIds.map((id) => {
      const store = memoryStore(fixture.chain, fixture.headHeight, genesis, clock, () =>
        prng.int(0, (3 * blockFetchAttemptTimeoutMs) / 2),
      )
      const server = new SyncServer(store, genesis, () => undefined)
      return {
        id,
        answer: async (request) => {
          if (!admission.get(id)!.tryTake(clock.nowMs())) {
            admissionDrops.set(id, (admissionDrops.get(id) ?? 0) + 1)
            return undefined
          }
          servingNow.set(id, (servingNow.get(id) ?? 0) + 1)
          servingMax.set(id, Math.max(servingMax.get(id) ?? 0, servingNow.get(id)!))
          let reply: SyncMessage | undefined
          try {
            verdicts.push(
              await server.serve('node', request, (message) => {
                reply = message
              }),
            )
          } finally {
            servingNow.set(id, servingNow.get(id)! - 1)
          }
          return reply
        },
      }
    })
    harness = new ServiceHarness({
      store: memoryStore(fixture.chain, 0, genesis, clock),
      peers,
      clock,
      verifier,
      genesis,
      random: () => prng.next(),
    })
    // The chain's blocks (servable) and hashes nobody has, shuffled.
    const hashes: Hash[] = fixture.chain.map(({ hash }) => hash)
    while (hashes.length < 1_000) hashes.push(Uint8Array.from({ length: 32 }, () => prng.int(0, 255)))
    for (let i = hashes.length - 1; i > 0; i--) {
      const j = prng.int(0, i)
      ;[hashes[i], hashes[j]] = [hashes[j]!, hashes[i]!]
    }
    for (const hash of hashes) harness.service.fetchBlock(hash)
    expect(harness.service.fetchesSkipped.full, 'refused when full, nothing forgotten').toBe(
      hashes.length - blockFetchesOutstandingMax,
    )
    await clock.settle(600_000)

    expect(harness.wiringErrors).toEqual([])
    for (const id of peerIds) {
      expect(servingMax.get(id) ?? 0, `requests served at once by ${id}; ${reproduce}`).toBeLessThanOrEqual(
        syncRequestsServedPerPeerMax,
      )
      expect(admissionDrops.get(id) ?? 0, `frames over ${id}'s admission rate; ${reproduce}`).toBe(0)
    }
    expect(new Set(verdicts)).toEqual(new Set(['served']))
    // A slow peer's reply after another peer's answer is late, not a fault: counted, never penalised.
    expect(new Set(harness.rejected.map(({ reason }) => reason))).toEqual(
      new Set(harness.rejected.length > 0 ? ['unsolicited'] : []),
    )

    const getBlocks = harness.sent.filter(({ message }) => message.kind === 'get-block')
    // Within any second, no peer is sent more than the client's budget allows (half the admission rate).
    for (const id of peerIds) {
      const times = getBlocks.filter(({ peer }) => peer === id).map(({ atMs }) => atMs)
      for (let i = 0; i < times.length; i++) {
        const inSecond = times.filter((atMs) => atMs >= times[i]! && atMs < times[i]! + 1_000).length
        expect(inSecond).toBeLessThanOrEqual(syncRequestsPerSecondMax + syncRequestBurstMax)
      }
    }
    // Each hash: asked of one peer at a time (the next only after the previous timed out), each peer once.
    const byHash = new Map<string, Array<{ peer: string; atMs: number }>>()
    for (const { peer, message, atMs } of getBlocks) {
      if (message.kind !== 'get-block') continue
      const key = toHex(message.hash)
      byHash.set(key, [...(byHash.get(key) ?? []), { peer, atMs }])
    }
    expect(byHash.size).toBe(blockFetchesOutstandingMax)
    for (const asks of byHash.values()) {
      expect(new Set(asks.map(({ peer }) => peer)).size).toBe(asks.length)
      for (let i = 1; i < asks.length; i++)
        expect(asks[i]!.atMs - asks[i - 1]!.atMs).toBeGreaterThanOrEqual(blockFetchAttemptTimeoutMs)
    }
    // What peers held was fetched, once each; the rest was given up after every peer was asked.
    const chainHashes = new Set(fixture.chain.map(({ hash }) => toHex(hash)))
    const fetched = fetchedHashes(harness)
    expect(new Set(fetched).size).toBe(fetched.length)
    const wantedChain = [...byHash.keys()].filter((key) => chainHashes.has(key))
    expect(fetched.every((key) => wantedChain.includes(key))).toBe(true)
    expect(fetched.length, reproduce).toBeGreaterThan(wantedChain.length / 2)
    expect(harness.service.fetchesSkipped.exhausted).toBe(blockFetchesOutstandingMax - fetched.length)

    // Once they are done, fetches are taken again.
    const fullBefore = harness.service.fetchesSkipped.full
    harness.service.fetchBlock(Uint8Array.from({ length: 32 }, () => 7))
    expect(harness.service.fetchesSkipped.full).toBe(fullBefore)
    // Let the slow reads still under way finish, so the harness can close.
    await clock.settle(10_000)
  })

  it('never fetches committed history', async () => {
    const clock = new ManualClock()
    const committedHeight = 50
    harness = new ServiceHarness({
      store: memoryStore(fixture.chain, committedHeight, fixture.genesis, clock),
      peers: [
        honestPeer(
          'peer',
          memoryStore(fixture.chain, fixture.headHeight, fixture.genesis, clock),
          fixture.genesis,
        ),
      ],
      clock,
      verifier,
      genesis: fixture.genesis,
    })
    harness.service.fetchBlock(fixture.genesis.qc.blockHash)
    for (const { hash } of fixture.chain.slice(0, committedHeight)) harness.service.fetchBlock(hash)
    await clock.settle(10_000)
    expect(harness.sent).toEqual([])
    expect(harness.service.fetchesSkipped.committed).toBe(committedHeight + 1)

    const above = fixture.chain[committedHeight + 9]!
    harness.service.fetchBlock(above.hash)
    await clock.settle(10_000)
    expect(harness.sent.map(({ message }) => message.kind)).toEqual(['get-block'])
    expect(fetchedHashes(harness)).toEqual([toHex(above.hash)])
  })
})

describe('SyncServer: its bounds', () => {
  it(`answers ${syncRequestsServedPerPeerMax} requests of one peer at once ('flood' beyond) and ${syncRequestsServedMax} overall ('overloaded' beyond)`, async () => {
    const clock = new ManualClock()
    const slow = memoryStore(fixture.chain, fixture.headHeight, fixture.genesis, clock, () => 1_000)
    const server = new SyncServer(slow, fixture.genesis, () => undefined)
    const request: SyncMessage = { kind: 'get-head' }
    const serve = (peer: string) => server.serve(peer, request, () => undefined)
    const flooder = Array.from({ length: syncRequestsServedPerPeerMax + 1 }, () => serve('flooder'))
    const others = Array.from({ length: syncRequestsServedMax }, (_, i) => serve(`peer-${i}`))
    await clock.settle(2_000)
    const verdicts = await Promise.all([...flooder, ...others])
    expect(verdicts.slice(0, syncRequestsServedPerPeerMax)).toEqual(
      Array(syncRequestsServedPerPeerMax).fill('served'),
    )
    expect(verdicts[syncRequestsServedPerPeerMax]).toBe('flood')
    const overall = verdicts.slice(syncRequestsServedPerPeerMax + 1)
    expect(overall.filter((verdict) => verdict === 'served').length).toBe(
      syncRequestsServedMax - syncRequestsServedPerPeerMax,
    )
    expect(overall.filter((verdict) => verdict === 'overloaded').length).toBe(syncRequestsServedPerPeerMax)
  })
})
