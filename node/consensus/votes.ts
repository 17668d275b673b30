import { bytesEqual } from '../../crypto/hex.js'
import { futureViewWindow } from '../../ledger/limits.js'
import { quorumSize } from '../../ledger/quorum.js'
import type { QuorumCertificate, Vote } from '../../ledger/types.js'
import { processQC } from './certificates.js'
import type { StepContext } from './context.js'
import { withEntry } from './context.js'
import { recordEvidence } from './evidence.js'

/** Every replica collects verified votes; a quorum for one block forms QC(view). */
export function onVote(context: StepContext, vote: Vote): void {
  const { view, votes } = context.state
  if (vote.view < view - 1 || vote.view > view + futureViewWindow) return
  const byVoter = votes.get(vote.view) ?? new Map<number, Vote>()
  const earlier = byVoter.get(vote.voter)
  if (earlier !== undefined) {
    // A second, different vote is evidence; either way the voter counts once.
    if (!bytesEqual(earlier.blockHash, vote.blockHash)) {
      recordEvidence(
        context,
        { kind: 'double-vote', view: vote.view, first: earlier, second: vote },
        vote.voter,
      )
    }
    return
  }
  const updated = withEntry(byVoter, vote.voter, vote)
  context.update({ votes: withEntry(votes, vote.view, updated) })
  const forBlock = [...updated.values()].filter((other) => bytesEqual(other.blockHash, vote.blockHash))
  // Form the QC exactly when the quorum is reached, so it is formed once.
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
