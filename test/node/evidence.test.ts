// The evidence pool, store and gossip frames against real signatures (the ConsensusFixture's 4 validators) and
// a real LedgerStore (LevelDB in a temp dir):
//   - real equivocations of each kind are accepted once, stored, and announced once;
//   - forged evidence (bad or misattributed signature, identical parts, other views, other signers, a proposal
//     pair from a validator that is not the view's leader, another chain's signatures) is refused and not kept;
//   - evidence survives closing and reopening the store, and the pool's bounds hold in memory and on disk;
//   - evidence the consensus core emits is accepted as it is.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { sign } from '../../crypto/index.js'
import { DecodeError, type DecodeErrorCode, encodeEvidence, evidenceKeyOf } from '../../ledger/codec/index.js'
import { blockHash, timeoutSigningBytes, voteSigningBytes } from '../../ledger/hashing.js'
import { LedgerStore, StoreError } from '../../ledger/store/index.js'
import type { Block, EvidenceRecord, QuorumCertificate, Timeout, Vote } from '../../ledger/types.js'
import type { Evidence } from '../../node/consensus/index.js'
import {
  decodeEvidenceGossip,
  type EvidenceAddResult,
  type EvidenceChecker,
  EvidencePool,
  type EvidencePoolOptions,
  type EvidenceSource,
  type EvidenceVerdict,
  EvidenceVerifier,
  encodeEvidenceGossip,
  evidenceGossipFrameBytesMax,
} from '../../node/evidence/index.js'
import { propertyParameters } from '../support/arbitraries.js'
import { ConsensusFixture } from '../support/consensus-fixture.js'

const fx = new ConsensusFixture(0)
const verifier = new EvidenceVerifier({ chainId: fx.chainId, validators: fx.validators })

function block(view: number, salt: number, proposer = view % fx.validators.length): Block {
  const child = fx.child(fx.genesis, view, fx.genesisQC)
  return { ...child, header: { ...child.header, timestampMs: 1 + salt, proposer } }
}

function hashOf(salt: number): Uint8Array {
  return new Uint8Array(32).fill(salt)
}

function vote(view: number, voter: number, hash: Uint8Array, signer = voter, chainId = fx.chainId): Vote {
  const signature = sign(voteSigningBytes(chainId, view, hash), fx.secrets[signer]!)
  return { view, blockHash: hash, voter, signature }
}

function timeout(view: number, sender: number, highQC: QuorumCertificate): Timeout {
  const signature = sign(timeoutSigningBytes(fx.chainId, view, highQC.view), fx.secrets[sender]!)
  return { view, highQC, sender, signature }
}

function doubleVote(view: number, voter: number): EvidenceRecord {
  return {
    kind: 'double-vote',
    view,
    first: vote(view, voter, hashOf(1)),
    second: vote(view, voter, hashOf(2)),
  }
}

function doubleProposal(view: number): EvidenceRecord {
  return {
    kind: 'double-proposal',
    view,
    first: fx.proposal(block(view, 1)),
    second: fx.proposal(block(view, 2)),
  }
}

function doubleTimeout(view: number, sender: number): EvidenceRecord {
  const higher = fx.qcFor(block(1, 1))
  return {
    kind: 'double-timeout',
    view,
    first: timeout(view, sender, fx.genesisQC),
    second: timeout(view, sender, higher),
  }
}

function flipped(signature: Uint8Array): Uint8Array {
  const copy = signature.slice()
  copy[0] = copy[0]! ^ 1
  return copy
}

describe('evidence pool', () => {
  let dir: string
  let store: LedgerStore
  let announced: Array<{ evidence: EvidenceRecord; source: EvidenceSource }>

  async function openStore(): Promise<LedgerStore> {
    return LedgerStore.open({
      dir,
      chainId: fx.chainId,
      genesisHash: fx.genesisHash,
      genesisStateRoot: fx.genesisStateRoot,
    })
  }

  async function openPool(options: EvidencePoolOptions = {}, checker: EvidenceChecker = verifier) {
    return EvidencePool.open(store, checker, {
      onNew: (evidence, source) => announced.push({ evidence, source }),
      ...options,
    })
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-evidence-'))
    store = await openStore()
    announced = []
  })

  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('accepts two proposals for one view by a validator that is not its round-robin leader', async () => {
    // The leader depends on the chain a proposal extends (leader election passes over inactive validators),
    // and an honest validator signs at most one proposal per view whether it leads or not.
    const pool = await openPool()
    const evidence: EvidenceRecord = {
      kind: 'double-proposal',
      view: 5,
      first: fx.proposal(block(5, 1, 2)),
      second: fx.proposal(block(5, 2, 2)),
    }
    expect(await pool.submit(evidence, 'peer')).toBe('added')
  })

  it('accepts each kind of real equivocation once, stores it and announces it once', async () => {
    const pool = await openPool()
    const all = [doubleProposal(5), doubleVote(3, 2), doubleTimeout(4, 1)]
    for (const evidence of all) {
      expect(await pool.submit(evidence, 'peer')).toBe('added')
      expect(await pool.add(evidence, 'local')).toBe(false)
      // The same misbehaviour with the parts swapped is the same key: still one.
      const swapped = { ...evidence, first: evidence.second, second: evidence.first } as EvidenceRecord
      expect(await pool.submit(swapped, 'peer')).toBe('duplicate')
    }
    expect(announced).toStrictEqual(all.map((evidence) => ({ evidence, source: 'peer' })))
    expect(pool.list().map((e) => [e.kind, e.view])).toStrictEqual([
      ['double-vote', 3],
      ['double-timeout', 4],
      ['double-proposal', 5],
    ])
    expect(await store.evidenceCount()).toBe(3)
    expect(pool.has({ kind: 'double-vote', view: 3, offender: 2 })).toBe(true)
    expect(pool.has({ kind: 'double-vote', view: 3, offender: 1 })).toBe(false)
  })

  it('counts concurrent offers of one misbehaviour once', async () => {
    const pool = await openPool()
    const evidence = doubleVote(6, 3)
    const results = await Promise.all([1, 2, 3, 4].map(() => pool.add(evidence, 'peer')))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(announced).toHaveLength(1)
    expect(await store.evidenceCount()).toBe(1)
  })

  it('refuses forged evidence with a reason, and keeps and announces none of it', async () => {
    const pool = await openPool()
    const real = doubleVote(3, 2) as Extract<EvidenceRecord, { kind: 'double-vote' }>
    const realProposals = doubleProposal(5) as Extract<EvidenceRecord, { kind: 'double-proposal' }>
    const realTimeouts = doubleTimeout(4, 1) as Extract<EvidenceRecord, { kind: 'double-timeout' }>
    const forged: Array<[string, EvidenceRecord, EvidenceAddResult]> = [
      [
        'a vote with a bad signature',
        { ...real, second: { ...real.second, signature: flipped(real.second.signature) } },
        'bad-signature',
      ],
      ['a vote signed by another validator', { ...real, second: vote(3, 2, hashOf(2), 3) }, 'bad-signature'],
      [
        'votes signed for another chain',
        { ...real, first: vote(3, 2, hashOf(1), 2, 'other'), second: vote(3, 2, hashOf(2), 2, 'other') },
        'bad-signature',
      ],
      ['two identical votes', { ...real, second: real.first }, 'malformed'],
      ['votes for different views', { ...real, second: vote(4, 2, hashOf(2)) }, 'malformed'],
      ['votes by different validators', { ...real, second: vote(3, 1, hashOf(2)) }, 'malformed'],
      ['a record whose view is not its parts’', { ...real, view: 9 }, 'malformed'],
      [
        'a timeout with a bad signature',
        {
          ...realTimeouts,
          first: { ...realTimeouts.first, signature: flipped(realTimeouts.first.signature) },
        },
        'bad-signature',
      ],
      [
        'a proposal with a bad signature',
        {
          ...realProposals,
          second: { ...realProposals.second, signature: flipped(realProposals.second.signature) },
        },
        'bad-signature',
      ],
      [
        'a validator index outside the set',
        {
          kind: 'double-vote',
          view: 3,
          first: { ...real.first, voter: 7 },
          second: { ...real.second, voter: 7 },
        },
        'unknown-validator',
      ],
      [
        'a signature of the wrong length',
        { ...real, second: { ...real.second, signature: real.second.signature.subarray(1) } },
        'malformed',
      ],
    ]
    for (const [name, evidence, reason] of forged) {
      expect(await pool.submit(evidence, 'peer'), name).toBe(reason)
    }
    expect(pool.size).toBe(0)
    expect(announced).toHaveLength(0)
    expect(await store.evidenceCount()).toBe(0)
  })

  it('keeps evidence across a restart: the reopened store and pool hold the same, in the same order', async () => {
    const pool = await openPool()
    const all = [doubleTimeout(4, 1), doubleProposal(5), doubleVote(3, 2), doubleVote(3, 1)]
    for (const evidence of all) expect(await pool.add(evidence, 'local')).toBe(true)
    const listed = pool.list()
    await store.close()

    store = await openStore()
    expect(await store.evidenceCount()).toBe(4)
    // Store order is key order: kind byte (proposal, vote, timeout), then view, then offender.
    expect((await store.evidence()).map((e) => [e.kind, e.view])).toStrictEqual([
      ['double-proposal', 5],
      ['double-vote', 3],
      ['double-vote', 3],
      ['double-timeout', 4],
    ])
    const reopened = await openPool()
    expect(reopened.list()).toStrictEqual(listed)
    expect(reopened.bytes).toBe(pool.bytes)
    expect(await reopened.add(doubleVote(3, 2), 'peer')).toBe(false)
    expect(announced).toHaveLength(4)
  })

  it('when full, drops only the oldest evidence of the offender holding the most, in memory and on disk', async () => {
    const pool = await openPool({ entryCountMax: 3 })
    expect(await pool.add(doubleVote(1, 2), 'peer')).toBe(true)
    for (const view of [10, 11, 12, 13]) expect(await pool.add(doubleVote(view, 1), 'peer')).toBe(true)
    // Validator 1 floods; validator 2's one piece of evidence stays.
    expect(pool.list().map((e) => [e.view, evidenceKeyOf(e).offender])).toStrictEqual([
      [1, 2],
      [12, 1],
      [13, 1],
    ])
    expect(await store.evidenceCount()).toBe(3)
    // Older than everything validator 1 still has: not kept, not announced.
    expect(await pool.submit(doubleVote(5, 1), 'peer')).toBe('pool-full')
    expect(announced).toHaveLength(5)

    // A smaller bound on reopen trims the disk by the same rule.
    await store.close()
    store = await openStore()
    const smaller = await openPool({ entryCountMax: 2 })
    expect(smaller.list().map((e) => e.view)).toStrictEqual([1, 13])
    expect(await store.evidenceCount()).toBe(2)
  })

  it('bounds the bytes held as well as the count', async () => {
    const voteEvidenceBytes = encodeEvidence(doubleVote(1, 1)).length
    const pool = await openPool({ bytesMax: 2 * voteEvidenceBytes })
    for (const view of [1, 2, 3]) expect(await pool.add(doubleVote(view, 1), 'peer')).toBe(true)
    expect(pool.list().map((e) => e.view)).toStrictEqual([2, 3])
    expect(pool.bytes).toBe(2 * voteEvidenceBytes)
  })

  it('refuses peer evidence beyond the verifications in flight, never local evidence', async () => {
    const gates: Array<() => void> = []
    const slow: EvidenceChecker = {
      verifyEvidence: (evidence) =>
        new Promise<EvidenceVerdict>((resolve) =>
          gates.push(() => resolve(verifier.verifyEvidence(evidence))),
        ),
    }
    const pool = await openPool({ verificationsInFlightMax: 1 }, slow)
    const first = pool.submit(doubleVote(1, 1), 'peer')
    expect(await pool.submit(doubleVote(2, 1), 'peer')).toBe('overloaded')
    const local = pool.submit(doubleVote(3, 1), 'local')
    for (const open of gates) open()
    expect(await first).toBe('added')
    expect(await local).toBe('added')
  })

  it('accepts the evidence the consensus core emits, as it is', async () => {
    const core = new ConsensusFixture(0)
    core.input({ kind: 'start', nowMs: 0 })
    const view = core.state.view
    core.input({ kind: 'vote', vote: vote(view, 2, hashOf(1)) })
    const actions = core.input({ kind: 'vote', vote: vote(view, 2, hashOf(2)) })
    const emitted: Evidence[] = actions.flatMap((a) => (a.kind === 'record-evidence' ? [a.evidence] : []))
    expect(emitted).toHaveLength(1)
    // The core's Evidence is assignable to the ledger's EvidenceRecord (checked by tsc).
    const record: EvidenceRecord = emitted[0]!
    const pool = await openPool()
    expect(await pool.add(record, 'local')).toBe(true)
    expect(announced).toStrictEqual([{ evidence: record, source: 'local' }])
  })

  it('gives each piece of evidence a stable JSON shape, with hex bytes and one page per RPC call', async () => {
    const pool = await openPool()
    const evidence = doubleVote(3, 2) as Extract<EvidenceRecord, { kind: 'double-vote' }>
    await pool.add(evidence, 'local')
    await pool.add(doubleProposal(5), 'local')
    await pool.add(doubleTimeout(4, 1), 'local')
    expect(pool.toJson(evidence)).toStrictEqual({
      id: `02${'0'.repeat(15)}30002`,
      kind: 'double-vote',
      view: 3,
      offender: 2,
      first: {
        view: 3,
        block_hash: toHex(hashOf(1)),
        voter: 2,
        signature: toHex(evidence.first.signature),
      },
      second: {
        view: 3,
        block_hash: toHex(hashOf(2)),
        voter: 2,
        signature: toHex(evidence.second.signature),
      },
    })
    const proposals = doubleProposal(5) as Extract<EvidenceRecord, { kind: 'double-proposal' }>
    const proposalJson = pool.toJson(proposals).first
    expect(proposalJson).toMatchObject({
      block_hash: toHex(blockHash(proposals.first.block.header)),
      proposer: 1,
      view: 5,
      tx_count: 0,
      last_view_tc_view: null,
      signature: toHex(proposals.first.signature),
    })
    expect(pool.toJson(doubleTimeout(4, 1)).second).toMatchObject({
      view: 4,
      high_qc: { view: 1 },
      sender: 1,
    })

    const page = pool.rpcResult({ offset: 1, limit: 1 })
    expect(page.total).toBe(3)
    expect(page.evidence.map((e) => [e.kind, e.view])).toStrictEqual([['double-timeout', 4]])
    expect(JSON.parse(JSON.stringify(pool.rpcResult()))).toStrictEqual(pool.rpcResult())
    expect(() => pool.rpcResult({ limit: 1_001 })).toThrow(RangeError)
  })
})

describe('ledger store evidence', () => {
  let dir: string
  let store: LedgerStore

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-evidence-store-'))
    store = await LedgerStore.open({
      dir,
      chainId: fx.chainId,
      genesisHash: fx.genesisHash,
      genesisStateRoot: fx.genesisStateRoot,
    })
  })

  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('stores each misbehaviour once, keeping the first pair, and deletes by key', async () => {
    const first = doubleVote(3, 2) as Extract<EvidenceRecord, { kind: 'double-vote' }>
    const other: EvidenceRecord = { ...first, second: vote(3, 2, hashOf(9)) }
    expect(await store.saveEvidence(first)).toBe(true)
    expect(await store.saveEvidence(other)).toBe(false)
    expect(await store.evidence()).toStrictEqual([first])
    await store.deleteEvidence([{ kind: 'double-vote', view: 3, offender: 2 }])
    expect(await store.evidenceCount()).toBe(0)
  })

  it('refuses to store a pair that is not evidence by its shape', async () => {
    const evidence = doubleVote(3, 2) as Extract<EvidenceRecord, { kind: 'double-vote' }>
    await expect(store.saveEvidence({ ...evidence, second: evidence.first })).rejects.toThrow(StoreError)
  })
})

describe('evidence gossip frames', () => {
  function gossipErrorCode(frame: Uint8Array): DecodeErrorCode | 'accepted' {
    try {
      decodeEvidenceGossip(frame)
      return 'accepted'
    } catch (error) {
      if (error instanceof DecodeError) return error.code
      throw error
    }
  }

  it('round-trips every kind', () => {
    for (const evidence of [doubleProposal(5), doubleVote(3, 2), doubleTimeout(4, 1)]) {
      const frame = encodeEvidenceGossip(evidence)
      expect(frame[0]).toBe(1)
      expect(frame.subarray(1)).toEqual(encodeEvidence(evidence))
      expect(decodeEvidenceGossip(frame)).toStrictEqual(evidence)
    }
  })

  it('rejects empty, oversized, unknown-kind and padded frames with DecodeError', () => {
    const frame = encodeEvidenceGossip(doubleVote(3, 2))
    expect(gossipErrorCode(new Uint8Array(0))).toBe('truncated')
    expect(gossipErrorCode(new Uint8Array(evidenceGossipFrameBytesMax + 1))).toBe('too-large')
    expect(gossipErrorCode(Uint8Array.of(2, ...frame.subarray(1)))).toBe('unknown-kind')
    expect(gossipErrorCode(Uint8Array.of(...frame, 0))).toBe('trailing-bytes')
  })

  it('rejects random and mutated frames only with DecodeError', () => {
    const valid = encodeEvidenceGossip(doubleVote(3, 2))
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, mask]) => {
        const mutated = valid.slice()
        mutated[at] = mutated[at]! ^ mask
        return mutated
      }),
    )
    fc.assert(
      fc.property(input, (frame) => {
        const outcome = gossipErrorCode(frame)
        if (outcome === 'accepted') expect(encodeEvidenceGossip(decodeEvidenceGossip(frame))).toEqual(frame)
      }),
      propertyParameters(500),
    )
  })
})

// Keeps the two evidence types interchangeable (the lead may unify them later): a compile-time check.
type Interchangeable = [Evidence] extends [EvidenceRecord]
  ? [EvidenceRecord] extends [Evidence]
    ? true
    : false
  : false
const interchangeable: Interchangeable = true
void interchangeable
