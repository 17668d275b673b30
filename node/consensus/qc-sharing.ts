import { bytesEqual } from '../../crypto/hex.js'
import type { QuorumCertificate, Vote } from '../../ledger/types.js'
import type { StepContext } from './context.js'

/**
 * Two honest replicas vote for different blocks in one view only when its leader equivocated. The replicas that
 * formed the QC then hold a vote the others never got (the leader showed each half its own vote), and one of
 * the others may lead the next view: without the QC it would wait for its timer, and the view after it too. So
 * a replica that holds QC(view) sends its votes, each the message its signer signed, to every replica it saw
 * vote for another block in that view (docs/protocol.md, "Leader election"). Once per conflicting voter: it
 * is triggered by that voter's first vote of the view, or by the QC when it arrives after the vote.
 */
export function shareQCWithVoter(context: StepContext, qc: QuorumCertificate, voter: number): void {
  if (voter === context.self || qc.signers.includes(voter)) return
  for (const vote of votesOf(qc)) context.emit({ kind: 'send', to: voter, message: { kind: 'vote', vote } })
}

/** Our new highQC: share it with every replica that voted for another block in its view. */
export function shareQCWithConflictingVoters(context: StepContext, qc: QuorumCertificate): void {
  const votes = context.state.votes.get(qc.view)
  if (votes === undefined) return
  for (const vote of votes.values()) {
    if (!bytesEqual(vote.blockHash, qc.blockHash)) shareQCWithVoter(context, qc, vote.voter)
  }
}

/** A QC's votes, each exactly as its signer signed it. */
function votesOf(qc: QuorumCertificate): Vote[] {
  return qc.signers.map((voter, i) => ({
    view: qc.view,
    blockHash: qc.blockHash,
    voter,
    signature: qc.signatures[i]!,
  }))
}
