// The evidence codec's laws, on random values and random bytes (seeded; QUORATE_SEED overrides):
//   1. decode(encode(x)) deep-equals x and re-encodes to the same bytes, for every pair that is evidence by shape;
//   2. any bytes either throw a DecodeError or decode to evidence that re-encodes to exactly those bytes;
//   3. a pair that is not evidence by its shape (other view, other signer, same signed content) has no encoding
//      and does not decode.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DecodeError,
  type DecodeErrorCode,
  decodeEvidence,
  EncodeError,
  encodeEvidence,
  encodeProposal,
  encodeTimeout,
  encodeVote,
  evidenceBytesMax,
  evidenceKeyOf,
  evidenceProblem,
} from '../../ledger/codec/index.js'
import type { EvidenceRecord, Proposal, Timeout, Vote } from '../../ledger/types.js'
import {
  arbitraryHash,
  arbitraryProposal,
  arbitraryQC,
  arbitrarySignature,
  arbitraryTimeout,
  arbitraryVote,
  propertyParameters,
} from '../support/arbitraries.js'

const kindByte = { 'double-proposal': 1, 'double-vote': 2, 'double-timeout': 3 } as const

function differentFrom<T>(arbitrary: fc.Arbitrary<T>, same: (a: T) => boolean): fc.Arbitrary<T> {
  return arbitrary.filter((value) => !same(value))
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

const arbitraryDoubleVote: fc.Arbitrary<EvidenceRecord> = arbitraryVote.chain((first) =>
  fc
    .record({
      blockHash: differentFrom(arbitraryHash, (hash) => bytesEqual(hash, first.blockHash)),
      signature: arbitrarySignature,
    })
    .map(({ blockHash, signature }) => {
      const second: Vote = { view: first.view, blockHash, voter: first.voter, signature }
      return { kind: 'double-vote' as const, view: first.view, first, second }
    }),
)

const arbitraryDoubleTimeout: fc.Arbitrary<EvidenceRecord> = arbitraryTimeout.chain((first) =>
  fc
    .record({
      highQC: differentFrom(arbitraryQC, (qc) => qc.view === first.highQC.view),
      signature: arbitrarySignature,
    })
    .map(({ highQC, signature }) => {
      const second: Timeout = { view: first.view, highQC, sender: first.sender, signature }
      return { kind: 'double-timeout' as const, view: first.view, first, second }
    }),
)

const arbitraryDoubleProposal: fc.Arbitrary<EvidenceRecord> = fc
  .tuple(arbitraryProposal, arbitraryProposal)
  .map(([first, other]) => {
    const { view, proposer } = first.block.header
    const second: Proposal = {
      ...other,
      block: { ...other.block, header: { ...other.block.header, view, proposer } },
    }
    return { kind: 'double-proposal' as const, view, first, second }
  })
  .filter((evidence) => evidenceProblem(evidence) === undefined)

const arbitraryEvidence: fc.Arbitrary<EvidenceRecord> = fc.oneof(
  arbitraryDoubleVote,
  arbitraryDoubleTimeout,
  arbitraryDoubleProposal,
)

/** Raw evidence bytes from two parts' own encodings, bypassing the encoder's checks. */
function rawEvidence(kind: number, first: Uint8Array, second: Uint8Array, version = 1): Uint8Array {
  return concat(Uint8Array.of(version, kind), first, second)
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.length
  }
  return joined
}

function decodeErrorCode(bytes: Uint8Array): DecodeErrorCode | 'accepted' {
  try {
    decodeEvidence(bytes)
    return 'accepted'
  } catch (error) {
    if (error instanceof DecodeError) return error.code
    throw error
  }
}

/** Either a DecodeError (and nothing else), or evidence that re-encodes to exactly the input. */
function expectDecodeTotal(bytes: Uint8Array): void {
  let evidence: EvidenceRecord
  try {
    evidence = decodeEvidence(bytes)
  } catch (error) {
    if (error instanceof DecodeError) return
    throw new Error(`decodeEvidence threw something other than a DecodeError: ${String(error)}`, {
      cause: error,
    })
  }
  expect(evidenceProblem(evidence)).toBeUndefined()
  expect(encodeEvidence(evidence)).toEqual(bytes)
}

const vote: Vote = {
  view: 7,
  blockHash: new Uint8Array(32).fill(1),
  voter: 2,
  signature: new Uint8Array(64).fill(9),
}
const otherVote: Vote = {
  ...vote,
  blockHash: new Uint8Array(32).fill(2),
  signature: new Uint8Array(64).fill(8),
}

describe('evidence codec', () => {
  it('round-trips every kind: decode(encode(x)) deep-equals x and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(arbitraryEvidence, (evidence) => {
        const bytes = encodeEvidence(evidence)
        expect(bytes[0]).toBe(1)
        expect(bytes[1]).toBe(kindByte[evidence.kind])
        const decoded = decodeEvidence(bytes)
        expect(decoded).toStrictEqual(evidence)
        expect(evidenceKeyOf(decoded)).toStrictEqual(evidenceKeyOf(evidence))
        expect(encodeEvidence(decoded)).toEqual(bytes)
      }),
      propertyParameters(200),
    )
  })

  it('lays a pair out as version, kind, then the two parts in their own encodings', () => {
    const evidence: EvidenceRecord = { kind: 'double-vote', view: 7, first: vote, second: otherVote }
    expect(encodeEvidence(evidence)).toEqual(rawEvidence(2, encodeVote(vote), encodeVote(otherVote)))
  })

  it('rejects random bytes only with DecodeError, and re-encodes whatever it accepts', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc
        .tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 512 }))
        .map(([kind, tail]) => concat(Uint8Array.of(1, kind), tail)),
      // Two random votes behind a valid header: exercises the pair checks, not just the parsers.
      fc.tuple(arbitraryVote, arbitraryVote).map(([a, b]) => rawEvidence(2, encodeVote(a), encodeVote(b))),
    )
    fc.assert(fc.property(input, expectDecodeTotal), propertyParameters(500))
  })

  it('rejects mutated, truncated and extended encodings only with DecodeError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('extend' as const),
        extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        at: fc.nat(),
        length: fc.integer({ min: 1, max: 16 }),
      }),
    )
    fc.assert(
      fc.property(
        arbitraryEvidence,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (evidence, mutations) => {
          let bytes = encodeEvidence(evidence)
          for (const m of mutations) {
            const at = 'at' in m ? m.at % Math.max(1, bytes.length) : 0
            if (m.kind === 'flip') {
              bytes = bytes.slice()
              bytes[at] = (bytes[at] ?? 0) ^ m.mask
            } else if (m.kind === 'truncate') bytes = bytes.slice(0, at)
            else if (m.kind === 'extend') bytes = concat(bytes, m.extra)
            else bytes = concat(bytes.subarray(0, at), bytes.subarray(at + m.length))
          }
          expectDecodeTotal(bytes)
        },
      ),
      propertyParameters(500),
    )
  })

  it('rejects trailing bytes, unknown kinds, unknown versions and oversized input with their codes', () => {
    const valid = rawEvidence(2, encodeVote(vote), encodeVote(otherVote))
    expect(decodeErrorCode(valid)).toBe('accepted')
    expect(decodeErrorCode(concat(valid, Uint8Array.of(0)))).toBe('trailing-bytes')
    for (const kind of [0, 4, 255]) {
      expect(decodeErrorCode(rawEvidence(kind, encodeVote(vote), encodeVote(otherVote)))).toBe('unknown-kind')
    }
    expect(decodeErrorCode(rawEvidence(2, encodeVote(vote), encodeVote(otherVote), 2))).toBe(
      'unknown-version',
    )
    expect(decodeErrorCode(valid.subarray(0, valid.length - 1))).toBe('truncated')
    expect(decodeErrorCode(new Uint8Array(evidenceBytesMax + 1))).toBe('too-large')
    expect(decodeErrorCode(new Uint8Array(0))).toBe('truncated')
    // A vote pair under the timeout kind: the parts do not parse as timeouts.
    expect(decodeErrorCode(rawEvidence(3, encodeVote(vote), encodeVote(otherVote)))).not.toBe('accepted')
  })

  it('refuses, in both directions, pairs that are not evidence by their shape', () => {
    const timeout: Timeout = {
      view: 9,
      highQC: { view: 3, blockHash: new Uint8Array(32).fill(3), signers: [], signatures: [] },
      sender: 1,
      signature: new Uint8Array(64).fill(5),
    }
    const notEvidence: Array<{
      name: string
      kind: number
      evidence: EvidenceRecord
      parts: [Uint8Array, Uint8Array]
    }> = []
    const votePair = (name: string, first: Vote, second: Vote) =>
      notEvidence.push({
        name,
        kind: 2,
        evidence: { kind: 'double-vote', view: first.view, first, second },
        parts: [encodeVote(first), encodeVote(second)],
      })
    votePair('identical votes', vote, vote)
    votePair('votes for different views', vote, { ...otherVote, view: vote.view + 1 })
    votePair('votes by different validators', vote, { ...otherVote, voter: vote.voter + 1 })
    votePair('votes for one block with different signatures', vote, {
      ...vote,
      signature: otherVote.signature,
    })
    const sameHighQCView: Timeout = {
      ...timeout,
      highQC: { ...timeout.highQC, blockHash: new Uint8Array(32).fill(4) },
      signature: new Uint8Array(64).fill(6),
    }
    notEvidence.push({
      name: 'timeouts with one highQC view (the signatures cover the same bytes)',
      kind: 3,
      evidence: { kind: 'double-timeout', view: 9, first: timeout, second: sameHighQCView },
      parts: [encodeTimeout(timeout), encodeTimeout(sameHighQCView)],
    })
    const proposal = fc.sample(arbitraryProposal, { seed: 1, numRuns: 1 })[0]!
    const sameBlock: Proposal = { ...proposal, lastViewTC: null, signature: new Uint8Array(64).fill(1) }
    notEvidence.push({
      name: 'proposals of one block (the TC and signature are not what differs)',
      kind: 1,
      evidence: {
        kind: 'double-proposal',
        view: proposal.block.header.view,
        first: proposal,
        second: sameBlock,
      },
      parts: [encodeProposal(proposal), encodeProposal(sameBlock)],
    })

    for (const { name, kind, evidence, parts } of notEvidence) {
      expect(evidenceProblem(evidence), name).toBeDefined()
      expect(() => encodeEvidence(evidence), name).toThrow(EncodeError)
      expect(decodeErrorCode(rawEvidence(kind, ...parts)), name).toBe('invalid-field')
    }
    // The record's own view must be the parts' view.
    expect(() => encodeEvidence({ kind: 'double-vote', view: 8, first: vote, second: otherVote })).toThrow(
      EncodeError,
    )
  })
})
