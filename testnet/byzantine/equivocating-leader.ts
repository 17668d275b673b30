// A leader that equivocates: in every view it leads it signs two different, individually valid blocks for the
// same view and parent, and sends one to each half of the validators. It then also votes for each block in the
// half that received it (our honest core votes only for the first; see `heldVote`), so both blocks gather the votes the leader
// can give them: the strongest version of the attack one faulty leader can mount. Receivers must never let both
// blocks be certified, and must record the two proposals as evidence when they see both.

import { blockHash, hashKey, txRoot } from '../../ledger/hashing.js'
import type { Block, ConsensusMessage, Hash } from '../../ledger/types.js'
import { roundRobinLeader } from '../../node/consensus/leader-election.js'
import {
  isOwnProposal,
  proposalMessage,
  signProposal,
  signVote,
  splitInHalves,
  toEach,
  voteMessage,
} from './messages.js'
import type { ByzantineContext, ByzantineFactory, Outgoing } from './types.js'

/** The recent views we equivocated in (only the latest can still receive our vote). */
const equivocationMemoryCountMax = 4

type ProposalMessage = Extract<ConsensusMessage, { kind: 'proposal' }>
type VoteMessage = Extract<ConsensusMessage, { kind: 'vote' }>

interface Equivocation {
  readonly honestHashHex: string
  readonly twinHash: Hash
  readonly twinRecipients: ReadonlySet<number>
  twinVote: ConsensusMessage | null
}

/**
 * The second block: same view, height, parent and justify (so it is as valid as the first), one millisecond
 * later (still far inside the clock-drift allowance) and, when there are transactions, with only the first half.
 */
export function twinBlock(block: Block): Block {
  const txs = block.txs.slice(0, Math.floor(block.txs.length / 2))
  return {
    header: { ...block.header, timestampMs: block.header.timestampMs + 1, txRoot: txRoot(txs) },
    txs,
  }
}

export const equivocatingLeaderFixture: ByzantineFactory = (context: ByzantineContext) => {
  const equivocations = new Map<number, Equivocation>()
  // The core votes for its own block just before it sends the proposal (so the vote is persisted first). That
  // vote is held until the proposal shows which recipients get which block; anything else releases it as is.
  let heldVote: { readonly message: VoteMessage; readonly to: readonly number[] } | null = null

  const release = (): Outgoing[] => {
    if (heldVote === null) return []
    const out = toEach(heldVote.message, heldVote.to)
    heldVote = null
    return out
  }

  /** Our vote for the block of a view we equivocated in: each recipient's copy is for the block it received. */
  const splitVote = (message: VoteMessage, to: readonly number[], equivocation: Equivocation): Outgoing[] => {
    equivocation.twinVote ??= voteMessage(signVote(context, message.vote.view, equivocation.twinHash))
    const twinVote = equivocation.twinVote
    return to.map((recipient) => ({
      to: recipient,
      message: equivocation.twinRecipients.has(recipient) ? twinVote : message,
    }))
  }

  const equivocate = (message: ProposalMessage, to: readonly number[]): Outgoing[] => {
    const { block, lastViewTC } = message.proposal
    const { view } = block.header
    const twin = twinBlock(block)
    const twinProposal = proposalMessage(signProposal(context, twin, lastViewTC))
    const [honestHalf, twinHalf] = splitInHalves(context.random, to)
    if (equivocations.size >= equivocationMemoryCountMax) {
      equivocations.delete(equivocations.keys().next().value as number)
    }
    const honestHashHex = hashKey(blockHash(block.header))
    const equivocation: Equivocation = {
      honestHashHex,
      twinHash: blockHash(twin.header),
      twinRecipients: new Set(twinHalf),
      twinVote: null,
    }
    equivocations.set(view, equivocation)
    const out = [...toEach(message, honestHalf), ...toEach(twinProposal, twinHalf)]
    const held = heldVote
    if (
      held !== null &&
      held.message.vote.view === view &&
      hashKey(held.message.vote.blockHash) === honestHashHex
    ) {
      heldVote = null
      out.push(...splitVote(held.message, held.to, equivocation))
    }
    return [...release(), ...out]
  }

  return {
    name: 'equivocating-leader',
    outgoing: (message, to) => {
      if (isOwnProposal(context, message)) return equivocate(message, to)
      if (message.kind !== 'vote') return [...release(), ...toEach(message, to)]
      const { view, blockHash: hash } = message.vote
      const equivocation = equivocations.get(view)
      if (equivocation !== undefined && hashKey(hash) === equivocation.honestHashHex) {
        return [...release(), ...splitVote(message, to, equivocation)]
      }
      if (
        equivocation === undefined &&
        roundRobinLeader(view, context.validatorCount) === context.selfIndex
      ) {
        const out = release()
        heldVote = { message, to }
        return out
      }
      return [...release(), ...toEach(message, to)]
    },
    tick: release,
  }
}
