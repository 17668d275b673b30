// Evidence layout: version u8 | kind u8 (1 double-proposal, 2 double-vote, 3 double-timeout) | first | second,
// where each part is the full signed message in its own layout (proposal, vote or timeout, with its own version
// byte), so a part's bytes are exactly what its signer sent. The view and the offender are not repeated: they
// are the parts' own, and the decoder refuses a pair that does not share them.
//
// Only pairs that are evidence by their shape decode: same view, same signer, and different signed content
// (different block hashes for proposals and votes, different highQC views for timeouts; the signatures cover
// nothing else). Whether the signatures verify, and whether a proposer was the view's leader, needs the
// validator set: that is for node/evidence to check.

import { bytesEqual } from '../../crypto/hex.js'
import type { EvidenceKind, EvidenceRecord, Proposal, Timeout, Vote } from '../types.js'
import { writeBlockHeader } from './block.js'
import { DecodeError, EncodeError } from './errors.js'
import { decodeWith, encodeWith, readVersion, writeVersion } from './fields.js'
import { readProposal, writeProposal } from './proposal.js'
import type { Reader } from './reader.js'
import { proposalBytesMax, timeoutBytesMax, voteBytesMax } from './sizes.js'
import { readTimeout, writeTimeout } from './timeout.js'
import { readVote, writeVote } from './vote.js'
import { Writer } from './writer.js'

/** The kind byte of each evidence kind; also the first byte of its store key. Numbers are never reused. */
export const evidenceKindByte = {
  'double-proposal': 1,
  'double-vote': 2,
  'double-timeout': 3,
} as const satisfies Record<EvidenceKind, number>

const evidenceKindByByte = new Map<number, EvidenceKind>(
  Object.entries(evidenceKindByte).map(([kind, byte]) => [byte, kind as EvidenceKind]),
)

/** The largest encoding of each part, by kind (a part's own encoder and decoder bound). */
const partBytesMaxByKind = {
  'double-proposal': proposalBytesMax,
  'double-vote': voteBytesMax,
  'double-timeout': timeoutBytesMax,
} as const satisfies Record<EvidenceKind, number>

/** Version and kind bytes, then two parts of the largest kind. */
export const evidenceBytesMax = 2 + 2 * proposalBytesMax

/** What makes one misbehaviour one: evidence with the same key is the same offence, stored once. */
export interface EvidenceKey {
  readonly kind: EvidenceKind
  readonly view: number
  /** Validator index of the signer of both parts. */
  readonly offender: number
}

/** The validator that signed both parts (of the first part; `evidenceProblem` checks the second agrees). */
export function evidenceOffender(evidence: EvidenceRecord): number {
  switch (evidence.kind) {
    case 'double-proposal':
      return evidence.first.block.header.proposer
    case 'double-vote':
      return evidence.first.voter
    case 'double-timeout':
      return evidence.first.sender
  }
}

export function evidenceKeyOf(evidence: EvidenceRecord): EvidenceKey {
  return { kind: evidence.kind, view: evidence.view, offender: evidenceOffender(evidence) }
}

/**
 * Why a pair is not evidence by its shape alone, or undefined if it is: both parts must be for the record's
 * view, signed by one validator, over different content.
 */
export function evidenceProblem(evidence: EvidenceRecord): string | undefined {
  switch (evidence.kind) {
    case 'double-proposal':
      return pairProblem(evidence.view, evidence.first, evidence.second, proposalFacts, proposalsDiffer)
    case 'double-vote':
      return pairProblem(evidence.view, evidence.first, evidence.second, voteFacts, votesDiffer)
    case 'double-timeout':
      return pairProblem(evidence.view, evidence.first, evidence.second, timeoutFacts, timeoutsDiffer)
    default:
      return `unknown kind ${String((evidence as { kind: unknown }).kind)}`
  }
}

interface PartFacts {
  readonly view: number
  readonly signer: number
}

const proposalFacts = (proposal: Proposal): PartFacts => ({
  view: proposal.block.header.view,
  signer: proposal.block.header.proposer,
})
const voteFacts = (vote: Vote): PartFacts => ({ view: vote.view, signer: vote.voter })
const timeoutFacts = (timeout: Timeout): PartFacts => ({ view: timeout.view, signer: timeout.sender })

// A proposal's signature covers its block hash, a hash of the header encoding: different headers are different
// hashes (comparing encodings keeps the codec free of hashing, which itself depends on the codec).
const proposalsDiffer = (a: Proposal, b: Proposal): boolean => !bytesEqual(headerBytes(a), headerBytes(b))
const votesDiffer = (a: Vote, b: Vote): boolean => !bytesEqual(a.blockHash, b.blockHash)
const timeoutsDiffer = (a: Timeout, b: Timeout): boolean => a.highQC.view !== b.highQC.view

function pairProblem<T>(
  view: number,
  first: T,
  second: T,
  facts: (part: T) => PartFacts,
  differ: (a: T, b: T) => boolean,
): string | undefined {
  const a = facts(first)
  const b = facts(second)
  if (a.view !== view || b.view !== view) {
    return `parts are for views ${a.view} and ${b.view}, not both for view ${String(view)}`
  }
  if (a.signer !== b.signer) return `parts are signed by validators ${a.signer} and ${b.signer}`
  if (!differ(first, second)) return 'parts sign the same content'
  return undefined
}

function headerBytes(proposal: Proposal): Uint8Array {
  const writer = new Writer()
  writeBlockHeader(writer, proposal.block.header)
  return writer.finish()
}

export function writeEvidence(writer: Writer, evidence: EvidenceRecord): void {
  const problem = evidenceProblem(evidence)
  if (problem !== undefined) throw new EncodeError(`evidence: ${problem}`)
  writeVersion(writer)
  writer.u8(evidenceKindByte[evidence.kind], 'evidence.kind')
  const partBytesMax = partBytesMaxByKind[evidence.kind]
  for (const part of ['first', 'second'] as const) {
    const start = writer.length
    switch (evidence.kind) {
      case 'double-proposal':
        writeProposal(writer, evidence[part])
        break
      case 'double-vote':
        writeVote(writer, evidence[part])
        break
      case 'double-timeout':
        writeTimeout(writer, evidence[part])
        break
    }
    const partBytes = writer.length - start
    if (partBytes > partBytesMax) {
      throw new EncodeError(`evidence.${part}: ${partBytes} bytes, max ${partBytesMax}`)
    }
  }
}

export function readEvidence(reader: Reader): EvidenceRecord {
  readVersion(reader, 'evidence')
  const kindByte = reader.u8('evidence.kind')
  const kind = evidenceKindByByte.get(kindByte)
  if (kind === undefined) throw new DecodeError('unknown-kind', `evidence.kind: ${kindByte}`)
  const partBytesMax = partBytesMaxByKind[kind]
  const readPart = <T>(read: (reader: Reader) => T, what: string): T => {
    const start = reader.offset
    const part = read(reader)
    const partBytes = reader.offset - start
    if (partBytes > partBytesMax) {
      throw new DecodeError('too-large', `evidence.${what}: ${partBytes} bytes, max ${partBytesMax}`)
    }
    return part
  }
  let evidence: EvidenceRecord
  switch (kind) {
    case 'double-proposal': {
      const first = readPart(readProposal, 'first')
      const second = readPart(readProposal, 'second')
      evidence = { kind, view: first.block.header.view, first, second }
      break
    }
    case 'double-vote': {
      const first = readPart(readVote, 'first')
      const second = readPart(readVote, 'second')
      evidence = { kind, view: first.view, first, second }
      break
    }
    case 'double-timeout': {
      const first = readPart(readTimeout, 'first')
      const second = readPart(readTimeout, 'second')
      evidence = { kind, view: first.view, first, second }
      break
    }
  }
  const problem = evidenceProblem(evidence)
  if (problem !== undefined) throw new DecodeError('invalid-field', `evidence: ${problem}`)
  return evidence
}

export function encodeEvidence(evidence: EvidenceRecord): Uint8Array {
  return encodeWith(evidenceBytesMax, (writer) => writeEvidence(writer, evidence), 'evidence')
}

export function decodeEvidence(bytes: Uint8Array, bytesMax?: number): EvidenceRecord {
  return decodeWith(bytes, evidenceBytesMax, bytesMax, readEvidence, 'evidence')
}
