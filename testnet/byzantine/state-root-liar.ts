// State-root liar: a leader that gets a block with a wrong state root voted for through the fetch path. When its
// honest core proposes block B1 in view v, it instead
// 1. re-signs B1 with a wrong state root (one bit flipped): B1';
// 2. sends at once a proposal for the next view it leads, v + n (inside the receivers' future window when
//    n ≤ futureViewWindow), whose block B2 names hash(B1') as its parent and carries B1's justify (a valid QC).
//    B2 is no valid child of B1' (its justify certifies B1's parent), but receivers first see an unknown parent
//    and fetch it;
// 3. answers their `get-block` for hash(B1') itself with B1' (its honest server does not know it). A fetched
//    block is authenticated by its hash and certified by its justify, so it passes the fetcher's checks;
// 4. then proposes B1' in view v, late enough for the fetch to be done (and once more later, for any receiver
//    whose fetch was slower), with its own vote for B1' in place of its vote for B1.
// The bug this finds: a fetched block enters the block tree without the state-root check, and a later proposal
// of a block already in the tree is taken as checked and voted for. An honest validator must never vote for B1'
// (the state root is checked on every path to a vote); B1' gets no QC and view v times out.

import { blockHash, hashKey } from '../../ledger/hashing.js'
import type { Block, ConsensusMessage } from '../../ledger/types.js'
import { roundRobinLeader } from '../../node/consensus/leader-election.js'
import { blockWith } from './blocks.js'
import { readSyncFrame, syncFrame } from './frames.js'
import { isOwnProposal, proposalMessage, signProposal, signVote, toEach, voteMessage } from './messages.js'
import { withOneBitFlipped } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

/** When the lying proposal B1' goes out: after B2 has made the receivers fetch B1', well inside the view timer. */
export const stateRootLiarProposalDelayMs = 300
/** It goes out once more then, for receivers whose fetch was slower (a proposal seen again is voted for then). */
export const stateRootLiarSecondProposalDelayMs = 700
/** Lying blocks kept to answer fetches with (oldest forgotten first). */
export const stateRootLiarServedCountMax = 16

type VoteMessage = Extract<ConsensusMessage, { kind: 'vote' }>

export const stateRootLiarFixture: ByzantineFactory = (context) => {
  const n = context.validatorCount
  /** B1' by hash, to answer the receivers' fetches. */
  const served = new Map<string, Block>()
  // The core votes for its own block just before it sends the proposal; that vote is held until the proposal
  // comes (and then replaced by a vote for B1'), and anything else releases it unchanged.
  let heldVote: { readonly message: VoteMessage; readonly to: readonly number[] } | null = null
  /** The last view we lied in: a vote of the core's for it (B1, when it votes after proposing) never leaves. */
  let liedView = -1

  const release = (): Outgoing[] => {
    if (heldVote === null) return []
    const out = toEach(heldVote.message, heldVote.to)
    heldVote = null
    return out
  }

  const lie = (
    message: Extract<ConsensusMessage, { kind: 'proposal' }>,
    to: readonly number[],
  ): Outgoing[] => {
    const { block: honest, lastViewTC } = message.proposal
    const { header } = honest
    const lying: Block = {
      header: { ...header, stateRoot: withOneBitFlipped(context.random, header.stateRoot) },
      txs: honest.txs,
    }
    const lyingHash = blockHash(lying.header)
    liedView = header.view
    const bait = blockWith({
      height: header.height + 1,
      view: header.view + n,
      parentHash: lyingHash,
      justify: header.justify,
      proposer: context.selfIndex,
      timestampMs: header.timestampMs + 1,
      stateRoot: header.stateRoot,
    })
    if (served.size >= stateRootLiarServedCountMax) served.delete(served.keys().next().value as string)
    served.set(hashKey(lyingHash), lying)
    const lyingProposal = proposalMessage(signProposal(context, lying, lastViewTC))
    const lyingVote = voteMessage(signVote(context, header.view, lyingHash))
    const held = heldVote
    heldVote = null
    // Our vote for the honest B1 is dropped: B1' gets ours instead. Anything else held goes out as it was.
    const earlier =
      held !== null && held.message.vote.view !== header.view ? toEach(held.message, held.to) : []
    return [
      ...earlier,
      ...toEach(proposalMessage(signProposal(context, bait, null)), to),
      ...to.map((recipient) => ({
        to: recipient,
        message: lyingProposal,
        delayMs: stateRootLiarProposalDelayMs,
      })),
      ...to.map((recipient) => ({
        to: recipient,
        message: lyingVote,
        delayMs: stateRootLiarProposalDelayMs,
      })),
      ...to.map((recipient) => ({
        to: recipient,
        message: lyingProposal,
        delayMs: stateRootLiarSecondProposalDelayMs,
      })),
    ]
  }

  return {
    name: 'state-root-liar',
    outgoing: (message, to) => {
      if (isOwnProposal(context, message)) return lie(message, to)
      if (message.kind === 'vote' && message.vote.view === liedView) return release()
      if (message.kind === 'vote' && roundRobinLeader(message.vote.view, n) === context.selfIndex) {
        const out = release()
        heldVote = { message, to }
        return out
      }
      return [...release(), ...toEach(message, to)]
    },
    tick: release,
    incoming: (protocol, from, frame) => {
      if (protocol !== 'sync') return { pass: true }
      const request = readSyncFrame(frame)
      if (request?.kind !== 'get-block') return { pass: true }
      const block = served.get(hashKey(request.hash))
      if (block === undefined) return { pass: true }
      return { pass: false, replies: [syncFrame(from, { kind: 'block', block })] }
    },
  }
}
