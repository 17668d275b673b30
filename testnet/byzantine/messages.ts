// What every fixture needs to build and address messages: signing with our own key (the only key a fixture
// has), the genesis QC, and splitting or fanning out recipient lists.

import {
  blockHash,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import type {
  Block,
  ConsensusMessage,
  Hash,
  Proposal,
  QuorumCertificate,
  Timeout,
  TimeoutCertificate,
  Vote,
} from '../../ledger/types.js'
import { type Random, shuffled } from './random.js'
import type { ByzantineContext, Outgoing } from './types.js'

/** The one certificate without signatures; always valid, so a timeout may carry it as its highQC. */
export function genesisQC(context: ByzantineContext): QuorumCertificate {
  return { view: 0, blockHash: context.genesisHash, signers: [], signatures: [] }
}

/** Signs `block` as its proposer: valid only if we are leader(block.view), which is when fixtures call it. */
export function signProposal(
  context: ByzantineContext,
  block: Block,
  lastViewTC: TimeoutCertificate | null,
): Proposal {
  const signature = context.sign(proposalSigningBytes(context.chainId, blockHash(block.header)))
  return { block, lastViewTC, signature }
}

export function signVote(context: ByzantineContext, view: number, hash: Hash): Vote {
  const signature = context.sign(voteSigningBytes(context.chainId, view, hash))
  return { view, blockHash: hash, voter: context.selfIndex, signature }
}

export function signTimeout(context: ByzantineContext, view: number, highQC: QuorumCertificate): Timeout {
  const signature = context.sign(timeoutSigningBytes(context.chainId, view, highQC.view))
  return { view, highQC, sender: context.selfIndex, signature }
}

export function proposalMessage(proposal: Proposal): ConsensusMessage {
  return { kind: 'proposal', proposal }
}

export function voteMessage(vote: Vote): ConsensusMessage {
  return { kind: 'vote', vote }
}

export function timeoutMessage(timeout: Timeout): ConsensusMessage {
  return { kind: 'timeout', timeout }
}

/** What an honest replica does: `message` to each recipient, unchanged. */
export function toEach(message: ConsensusMessage, to: readonly number[]): Outgoing[] {
  return to.map((recipient) => ({ to: recipient, message }))
}

/** The recipients in a random order, cut in two: the first half has the extra one when the count is odd. */
export function splitInHalves(random: Random, to: readonly number[]): [number[], number[]] {
  const order = shuffled(random, to)
  const firstCount = Math.ceil(order.length / 2)
  return [order.slice(0, firstCount), order.slice(firstCount)]
}

/** Every validator index except ours, ascending. */
export function otherValidators(context: ByzantineContext): number[] {
  const others: number[] = []
  for (let index = 0; index < context.validatorCount; index++) {
    if (index !== context.selfIndex) others.push(index)
  }
  return others
}

/** The view a message speaks for (a proposal's block view; a vote's, timeout's or relayed TC's view). */
export function messageView(message: ConsensusMessage): number {
  switch (message.kind) {
    case 'proposal':
      return message.proposal.block.header.view
    case 'vote':
      return message.vote.view
    case 'timeout':
      return message.timeout.view
    case 'timeout-certificate':
      return message.tc.view
  }
}

/** Our own proposal, as opposed to one the core forwards (it never does today; fixtures must not re-sign those). */
export function isOwnProposal(
  context: ByzantineContext,
  message: ConsensusMessage,
): message is {
  readonly kind: 'proposal'
  readonly proposal: Proposal
} {
  return message.kind === 'proposal' && message.proposal.block.header.proposer === context.selfIndex
}

/** The smallest view ≥ `atLeast` (and ≥ 1) that we lead. */
export function nextLedView(context: ByzantineContext, atLeast: number): number {
  const n = context.validatorCount
  const from = Math.max(1, atLeast)
  return from + ((((context.selfIndex - from) % n) + n) % n)
}

/** The largest view ≤ `atMost` (and ≥ 1) that we lead, or undefined if there is none. */
export function previousLedView(context: ByzantineContext, atMost: number): number | undefined {
  const n = context.validatorCount
  const view = atMost - ((((atMost - context.selfIndex) % n) + n) % n)
  return view >= 1 ? view : undefined
}
