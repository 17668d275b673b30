// Field mutations of the validator's wire messages, each changing exactly one field (or one entry of a list)
// while keeping the message encodable: numbers stay safe integers, validator indices stay below the codec's
// maximum, signer lists stay strictly increasing, hashes and signatures keep their length. So a mutated message
// gets past every decoder and has to be refused for what it means. Where we hold the key that signs the message
// (our own votes, timeouts and proposals), half of the mutations are re-signed: the signature then verifies
// and only the content is wrong.

import { bytesEqual } from '../../crypto/hex.js'
import { EncodeError, encodeConsensusMessage, encodeTx } from '../../ledger/codec/index.js'
import {
  blockHash,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import { blockTxCountMax, syncBatchBlockCountMax, validatorCountMax } from '../../ledger/limits.js'
import type {
  Block,
  BlockHeader,
  ConsensusMessage,
  EvidenceRecord,
  Hash,
  Proposal,
  QuorumCertificate,
  Signature,
  Timeout,
  TimeoutCertificate,
  Tx,
  Vote,
} from '../../ledger/types.js'
import { encodeEvidenceGossip } from '../../node/evidence/evidence-gossip.js'
import { encodeSyncMessage, type SyncMessage } from '../../node/sync/sync-messages.js'
import { pick, type Random, randomBytes, randomInt, withOneBitFlipped } from './random.js'
import type { ByzantineContext } from './types.js'

const u64AmountMax = (1n << 64n) - 1n

/** Another safe, non-negative integer: next to it, far from it, zero, or at the edges of the encoding. */
export function mutateNumber(random: Random, value: number): number {
  const candidates = [
    value + 1,
    value - 1,
    value + 1 + randomInt(random, 1_000),
    0,
    randomInt(random, 2 ** 32),
    Number.MAX_SAFE_INTEGER,
  ]
  const mutated = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, pick(random, candidates)))
  if (mutated !== value) return mutated
  return value === Number.MAX_SAFE_INTEGER ? value - 1 : value + 1
}

/** Another validator index: another validator, the first index past the set, or the largest encodable. */
export function mutateIndex(random: Random, index: number, validatorCount: number): number {
  const candidates = [validatorCountMax - 1]
  if (validatorCount > 1)
    candidates.push((index + 1 + randomInt(random, validatorCount - 1)) % validatorCount)
  if (validatorCount < validatorCountMax) candidates.push(validatorCount)
  const mutated = pick(random, candidates)
  return mutated !== index ? mutated : (index + 1) % validatorCountMax
}

export function mutateHash(random: Random, hash: Hash): Hash {
  return random() < 0.5 ? withOneBitFlipped(random, hash) : randomBytes(random, hash.length)
}

/** A signer list with one signer dropped, added or replaced, kept strictly increasing (with its entries). */
function mutateSignerList<T>(
  random: Random,
  signers: readonly number[],
  entries: readonly T[],
  validatorCount: number,
  newEntry: () => T,
): { signers: number[]; entries: T[] } {
  const pairs = signers.map((signer, i) => ({ signer, entry: entries[i] as T }))
  const unused = Array.from({ length: Math.min(validatorCountMax, validatorCount + 1) }, (_, i) => i).filter(
    (index) => !signers.includes(index),
  )
  const choice = randomInt(random, 3)
  if (choice === 0 && pairs.length > 0) pairs.splice(randomInt(random, pairs.length), 1)
  else if (choice === 1 && unused.length > 0) pairs.push({ signer: pick(random, unused), entry: newEntry() })
  else if (pairs.length > 0 && unused.length > 0) {
    const at = randomInt(random, pairs.length)
    pairs[at] = { signer: pick(random, unused), entry: (pairs[at] as (typeof pairs)[number]).entry }
  } else if (pairs.length > 0) pairs.pop()
  else pairs.push({ signer: randomInt(random, Math.max(1, validatorCount)), entry: newEntry() })
  pairs.sort((a, b) => a.signer - b.signer)
  return { signers: pairs.map((pair) => pair.signer), entries: pairs.map((pair) => pair.entry) }
}

export function mutateQC(random: Random, qc: QuorumCertificate, validatorCount: number): QuorumCertificate {
  switch (randomInt(random, 4)) {
    case 0:
      return { ...qc, view: mutateNumber(random, qc.view) }
    case 1:
      return { ...qc, blockHash: mutateHash(random, qc.blockHash) }
    case 2: {
      const { signers, entries } = mutateSignerList(random, qc.signers, qc.signatures, validatorCount, () =>
        randomBytes(random, 64),
      )
      return { ...qc, signers, signatures: entries }
    }
    default: {
      if (qc.signatures.length === 0) return { ...qc, view: mutateNumber(random, qc.view) }
      const at = randomInt(random, qc.signatures.length)
      const signatures = qc.signatures.map((each, i) => (i === at ? withOneBitFlipped(random, each) : each))
      return { ...qc, signatures }
    }
  }
}

export function mutateTC(random: Random, tc: TimeoutCertificate, validatorCount: number): TimeoutCertificate {
  switch (randomInt(random, 4)) {
    case 0:
      return { ...tc, view: mutateNumber(random, tc.view) }
    case 1: {
      const entries = tc.signers.map((_, i) => ({
        highQCView: tc.highQCViews[i] as number,
        signature: tc.signatures[i] as Signature,
      }))
      const mutated = mutateSignerList(random, tc.signers, entries, validatorCount, () => ({
        highQCView: randomInt(random, Math.max(1, tc.view)),
        signature: randomBytes(random, 64),
      }))
      return {
        view: tc.view,
        signers: mutated.signers,
        highQCViews: mutated.entries.map((entry) => entry.highQCView),
        signatures: mutated.entries.map((entry) => entry.signature),
      }
    }
    case 2: {
      if (tc.highQCViews.length === 0) return { ...tc, view: mutateNumber(random, tc.view) }
      const at = randomInt(random, tc.highQCViews.length)
      const highQCViews = tc.highQCViews.map((each, i) => (i === at ? mutateNumber(random, each) : each))
      return { ...tc, highQCViews }
    }
    default: {
      if (tc.signatures.length === 0) return { ...tc, view: mutateNumber(random, tc.view) }
      const at = randomInt(random, tc.signatures.length)
      const signatures = tc.signatures.map((each, i) => (i === at ? withOneBitFlipped(random, each) : each))
      return { ...tc, signatures }
    }
  }
}

/** The header fields a mutation can change. */
export const headerFields = [
  'height',
  'view',
  'parentHash',
  'justify',
  'proposer',
  'timestampMs',
  'txRoot',
  'stateRoot',
] as const

export function mutateHeader(random: Random, header: BlockHeader, validatorCount: number): BlockHeader {
  const field = pick(random, headerFields)
  switch (field) {
    case 'height':
    case 'view':
    case 'timestampMs':
      return { ...header, [field]: mutateNumber(random, header[field]) }
    case 'parentHash':
    case 'txRoot':
    case 'stateRoot':
      return { ...header, [field]: mutateHash(random, header[field]) }
    case 'justify':
      return { ...header, justify: mutateQC(random, header.justify, validatorCount) }
    case 'proposer':
      return { ...header, proposer: mutateIndex(random, header.proposer, validatorCount) }
  }
}

/** One field of the block: a header field, or its transactions (one dropped, or one repeated). */
export function mutateBlock(random: Random, block: Block, validatorCount: number): Block {
  if (block.txs.length > 0 && random() < 0.25) {
    const at = randomInt(random, block.txs.length)
    const txs =
      random() < 0.5 || block.txs.length >= blockTxCountMax
        ? block.txs.filter((_, i) => i !== at)
        : [...block.txs, block.txs[at] as Tx]
    return { header: block.header, txs }
  }
  return { header: mutateHeader(random, block.header, validatorCount), txs: block.txs }
}

function mutateProposal(random: Random, proposal: Proposal, validatorCount: number): Proposal {
  switch (randomInt(random, 4)) {
    case 0: {
      if (proposal.lastViewTC !== null)
        return { ...proposal, lastViewTC: mutateTC(random, proposal.lastViewTC, validatorCount) }
      // Added where there is none: a TC for the view before, with one made-up signer.
      const view = Math.max(0, proposal.block.header.view - 1)
      const lastViewTC = { view, signers: [0], highQCViews: [0], signatures: [randomBytes(random, 64)] }
      return { ...proposal, lastViewTC }
    }
    case 1:
      return { ...proposal, signature: withOneBitFlipped(random, proposal.signature) }
    default:
      return { ...proposal, block: mutateBlock(random, proposal.block, validatorCount) }
  }
}

function mutateVote(random: Random, vote: Vote, validatorCount: number): Vote {
  switch (randomInt(random, 4)) {
    case 0:
      return { ...vote, view: mutateNumber(random, vote.view) }
    case 1:
      return { ...vote, blockHash: mutateHash(random, vote.blockHash) }
    case 2:
      return { ...vote, voter: mutateIndex(random, vote.voter, validatorCount) }
    default:
      return { ...vote, signature: withOneBitFlipped(random, vote.signature) }
  }
}

function mutateTimeout(random: Random, timeout: Timeout, validatorCount: number): Timeout {
  switch (randomInt(random, 4)) {
    case 0:
      return { ...timeout, view: mutateNumber(random, timeout.view) }
    case 1:
      return { ...timeout, highQC: mutateQC(random, timeout.highQC, validatorCount) }
    case 2:
      return { ...timeout, sender: mutateIndex(random, timeout.sender, validatorCount) }
    default:
      return { ...timeout, signature: withOneBitFlipped(random, timeout.signature) }
  }
}

/** The same message, signed again with our key over its (mutated) content. */
function resigned(context: ByzantineContext, message: ConsensusMessage): ConsensusMessage {
  const { chainId } = context
  switch (message.kind) {
    case 'proposal': {
      const signature = context.sign(proposalSigningBytes(chainId, blockHash(message.proposal.block.header)))
      return { kind: 'proposal', proposal: { ...message.proposal, signature } }
    }
    case 'vote': {
      const { view, blockHash: hash } = message.vote
      return {
        kind: 'vote',
        vote: { ...message.vote, signature: context.sign(voteSigningBytes(chainId, view, hash)) },
      }
    }
    case 'timeout': {
      const { view, highQC } = message.timeout
      const signature = context.sign(timeoutSigningBytes(chainId, view, highQC.view))
      return { kind: 'timeout', timeout: { ...message.timeout, signature } }
    }
    case 'timeout-certificate':
      return message // signed by others: nothing of ours to sign
  }
}

/** Was the message signed with our key (so a re-signed mutation verifies)? */
function signedByUs(context: ByzantineContext, message: ConsensusMessage): boolean {
  switch (message.kind) {
    case 'proposal':
      return message.proposal.block.header.proposer === context.selfIndex
    case 'vote':
      return message.vote.voter === context.selfIndex
    case 'timeout':
      return message.timeout.sender === context.selfIndex
    case 'timeout-certificate':
      return false
  }
}

/** Attempts at an encodable mutation before the message is left as it was. */
const mutationAttemptCountMax = 4

/**
 * One field of a consensus message changed; if the message was ours, re-signed half of the time (a signature that
 * verifies over wrong content). Always encodable: a mutation the codec refuses is tried again, and after a few
 * failures the message is returned unchanged.
 */
export function mutateConsensusMessage(
  context: ByzantineContext,
  message: ConsensusMessage,
): ConsensusMessage {
  const { random, validatorCount } = context
  for (let attempt = 0; attempt < mutationAttemptCountMax; attempt++) {
    let mutated: ConsensusMessage
    switch (message.kind) {
      case 'proposal':
        mutated = { kind: 'proposal', proposal: mutateProposal(random, message.proposal, validatorCount) }
        break
      case 'vote':
        mutated = { kind: 'vote', vote: mutateVote(random, message.vote, validatorCount) }
        break
      case 'timeout':
        mutated = { kind: 'timeout', timeout: mutateTimeout(random, message.timeout, validatorCount) }
        break
      case 'timeout-certificate':
        mutated = { kind: 'timeout-certificate', tc: mutateTC(random, message.tc, validatorCount) }
        break
    }
    if (!encodes(() => encodeConsensusMessage(mutated))) continue
    if (signedByUs(context, message) && random() < 0.5) {
      // Re-signing a mutated signature gives back the honest message: then the bad signature stays.
      const again = resigned(context, mutated)
      if (!bytesEqual(encodeConsensusMessage(again), encodeConsensusMessage(message))) mutated = again
    }
    return mutated
  }
  return message
}

/** One field of a sync request or reply changed (a get-head has none: it comes back unchanged). */
export function mutateSyncMessage(random: Random, message: SyncMessage, validatorCount: number): SyncMessage {
  for (let attempt = 0; attempt < mutationAttemptCountMax; attempt++) {
    const mutated = mutateSyncOnce(random, message, validatorCount)
    if (encodes(() => encodeSyncMessage(mutated))) return mutated
  }
  return message
}

function mutateSyncOnce(random: Random, message: SyncMessage, validatorCount: number): SyncMessage {
  switch (message.kind) {
    case 'get-block':
      return { kind: 'get-block', hash: mutateHash(random, message.hash) }
    case 'block':
      return { kind: 'block', block: mutateBlock(random, message.block, validatorCount) }
    case 'get-head':
      return message
    case 'head':
      return random() < 0.5
        ? { ...message, header: mutateHeader(random, message.header, validatorCount) }
        : { ...message, qc: mutateQC(random, message.qc, validatorCount) }
    case 'get-blocks':
      return random() < 0.5
        ? { ...message, fromHeight: mutateNumber(random, message.fromHeight) }
        : { ...message, count: 1 + randomInt(random, syncBatchBlockCountMax) }
    case 'blocks': {
      const blocks = [...message.blocks]
      const choice = randomInt(random, 5)
      if (choice === 0 || blocks.length === 0)
        return { ...message, fromHeight: mutateNumber(random, message.fromHeight) }
      const at = randomInt(random, blocks.length)
      const entry = blocks[at] as (typeof blocks)[number]
      if (choice === 1) blocks.splice(at, 1)
      else if (choice === 2 && blocks.length < syncBatchBlockCountMax) blocks.splice(at, 0, entry)
      else if (choice === 3)
        blocks[at] = { block: entry.block, qc: mutateQC(random, entry.qc, validatorCount) }
      else blocks[at] = { block: mutateBlock(random, entry.block, validatorCount), qc: entry.qc }
      return { ...message, blocks }
    }
  }
}

export function mutateTx(random: Random, tx: Tx): Tx {
  for (let attempt = 0; attempt < mutationAttemptCountMax; attempt++) {
    const mutated = mutateTxOnce(random, tx)
    if (encodes(() => encodeTx(mutated))) return mutated
  }
  return tx
}

function mutateTxOnce(random: Random, tx: Tx): Tx {
  switch (randomInt(random, 6)) {
    case 0:
      return { ...tx, nonce: mutateNumber(random, tx.nonce) }
    case 1: {
      const amount = pick(random, [tx.body.amount + 1n, 0n, u64AmountMax])
      return { ...tx, body: { ...tx.body, amount: amount === tx.body.amount ? amount - 1n : amount } }
    }
    case 2:
      return { ...tx, body: { ...tx.body, to: mutateHash(random, tx.body.to) } }
    case 3:
      return { ...tx, from: mutateHash(random, tx.from) }
    case 4:
      return { ...tx, chainId: tx.chainId.length < 60 ? `${tx.chainId}x` : 'x' }
    default:
      return { ...tx, signature: withOneBitFlipped(random, tx.signature) }
  }
}

/** One field of one part of the evidence; kept a pair by its shape (one view, one signer, different content). */
export function mutateEvidence(
  random: Random,
  evidence: EvidenceRecord,
  validatorCount: number,
): EvidenceRecord {
  for (let attempt = 0; attempt < mutationAttemptCountMax; attempt++) {
    const mutated = mutateEvidenceOnce(random, evidence, validatorCount)
    if (encodes(() => encodeEvidenceGossip(mutated))) return mutated
  }
  return evidence
}

function mutateEvidenceOnce(
  random: Random,
  evidence: EvidenceRecord,
  validatorCount: number,
): EvidenceRecord {
  const which = random() < 0.5 ? 'first' : 'second'
  switch (evidence.kind) {
    case 'double-vote': {
      const choice = randomInt(random, 4)
      if (choice === 0) {
        // Both parts move to another view together, so the pair keeps its shape.
        const view = mutateNumber(random, evidence.view)
        return { ...evidence, view, first: { ...evidence.first, view }, second: { ...evidence.second, view } }
      }
      if (choice === 1) {
        const voter = mutateIndex(random, evidence.first.voter, validatorCount)
        return { ...evidence, first: { ...evidence.first, voter }, second: { ...evidence.second, voter } }
      }
      const part = evidence[which]
      const changed =
        choice === 2
          ? { ...part, blockHash: mutateHash(random, part.blockHash) }
          : { ...part, signature: withOneBitFlipped(random, part.signature) }
      return { ...evidence, [which]: changed }
    }
    case 'double-timeout': {
      const part = evidence[which]
      const changed =
        random() < 0.5
          ? { ...part, signature: withOneBitFlipped(random, part.signature) }
          : { ...part, highQC: { ...part.highQC, blockHash: mutateHash(random, part.highQC.blockHash) } }
      return { ...evidence, [which]: changed }
    }
    case 'double-proposal': {
      const part = evidence[which]
      const changed =
        random() < 0.5
          ? { ...part, signature: withOneBitFlipped(random, part.signature) }
          : { ...part, block: mutateBlock(random, part.block, validatorCount) }
      return { ...evidence, [which]: changed }
    }
  }
}

/** Bytes changed below the message level: one byte changed at random, truncated, or one byte appended. */
export function mutateBytes(random: Random, bytes: Uint8Array): Uint8Array {
  const choice = randomInt(random, 3)
  if (choice === 0 && bytes.length > 0) {
    const result = bytes.slice()
    const at = randomInt(random, bytes.length)
    result[at] = (result[at] as number) ^ (1 + randomInt(random, 255))
    return result
  }
  if (choice === 1 && bytes.length > 0) return bytes.slice(0, randomInt(random, bytes.length))
  const result = new Uint8Array(bytes.length + 1)
  result.set(bytes)
  result[bytes.length] = randomInt(random, 256)
  return result
}

function encodes(encode: () => unknown): boolean {
  try {
    encode()
    return true
  } catch (error) {
    if (error instanceof EncodeError) return false
    throw error
  }
}
