import { bytesEqual } from '../../crypto/hex.js'
import { futureViewWindow } from '../../ledger/limits.js'
import { quorumSize } from '../../ledger/quorum.js'
import type { QuorumCertificate, Vote } from '../../ledger/types.js'
import { processQC } from './certificates.js'
import type { StepContext } from './context.js'
import { withEntry } from './context.js'
import { recordEvidence } from './evidence.js'
import { shareQCWithVoter } from './qc-sharing.js'

/** Every replica collects verified votes; a quorum for one block forms QC(view). */
export function onVote(context: StepContext, vote: Vote): void {
  const { view, votes } = context.state
  if (vote.view < view - 1 || vote.view > view + futureViewWindow) return
  const byVoter = votes.get(vote.view) ?? new Map<number, Vote>()
  const earlier = byVoter.get(vote.voter)
  if (earlier !== undefined) {
    // A second, different vote is evidence; the voter is kept with its first vote. Its second one still
    // completes a quorum for its block: a QC is valid whoever else its signers voted for, and this is how a
    // replica that an equivocating leader showed the other block gets the QC (qc-sharing.ts).
    if (!bytesEqual(earlier.blockHash, vote.blockHash)) {
      recordEvidence(
        context,
        { kind: 'double-vote', view: vote.view, first: earlier, second: vote },
        vote.voter,
      )
      formQCIfQuorum(context, vote, [...byVoter.values(), vote])
    }
    return
  }
  const updated = withEntry(byVoter, vote.voter, vote)
  context.update({ votes: withEntry(votes, vote.view, updated) })
  const { highQC } = context.state.safety
  if (highQC.view === vote.view && !bytesEqual(highQC.blockHash, vote.blockHash))
    shareQCWithVoter(context, highQC, vote.voter)
  formQCIfQuorum(context, vote, [...updated.values()])
}

/** Forms QC(vote.view) for vote's block exactly when `votes` reach the quorum for it, so it is formed once. */
function formQCIfQuorum(context: StepContext, vote: Vote, votes: readonly Vote[]): void {
  const forBlock = votes.filter((other) => bytesEqual(other.blockHash, vote.blockHash))
  if (forBlock.length !== quorumSize(context.validatorCount)) return
  forBlock.sort((a, b) => a.voter - b.voter)
  const qc: QuorumCertificate = {
    view: vote.view,
    blockHash: vote.blockHash,
    signers: forBlock.map((each) => each.voter),
    signatures: forBlock.map((each) => each.signature),
  }
  processQC(context, qc)
}
