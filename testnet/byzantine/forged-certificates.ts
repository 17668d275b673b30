// A validator that puts forged certificates in what it signs: the justify QC of its proposals, or (every other
// proposal) an added lastViewTC, the highQC of its timeouts, and the TCs it relays to replicas that lag. The forgery kind cycles through
// `forgeryKinds` (forgery.ts). Each message is re-signed with our own key after the change, so the signature is
// good and only the certificate is bad: receivers must reject it with 'invalid-qc' or 'invalid-tc'.
// Votes carry no certificate and are sent honestly.

import type { QuorumCertificate, TimeoutCertificate } from '../../ledger/types.js'
import { type ForgeryKind, forgeQC, forgeryKinds, forgeTC } from './forgery.js'
import {
  isOwnProposal,
  proposalMessage,
  signProposal,
  signTimeout,
  timeoutMessage,
  toEach,
} from './messages.js'
import type { ByzantineFactory } from './types.js'

export const forgedCertificatesFixture: ByzantineFactory = (context) => {
  let forgeryCount = 0
  let proposalCount = 0
  // The last real certificates it sent: material for 'other-view-signatures'.
  let lastQC: QuorumCertificate | null = null
  let lastTC: TimeoutCertificate | null = null

  const nextKind = (): ForgeryKind => forgeryKinds[forgeryCount++ % forgeryKinds.length] as ForgeryKind
  const rememberQC = (qc: QuorumCertificate): void => {
    if (qc.signers.length > 0) lastQC = qc
  }

  return {
    name: 'forged-certificates',
    outgoing: (message, to) => {
      if (isOwnProposal(context, message)) {
        const { block, lastViewTC } = message.proposal
        const { header } = block
        const tcView = header.view - 1
        // A TC needs a view ≥ 1 with some highQC view below it; in view 1 forge the justify instead.
        const forgeTCNow = proposalCount++ % 2 === 1 && tcView >= 1
        let forged: typeof message.proposal
        if (forgeTCNow) {
          const highQCView = Math.min(header.justify.view, tcView - 1)
          const tc = forgeTC(context, nextKind(), tcView, highQCView, lastViewTC, lastTC)
          forged = signProposal(context, block, tc)
        } else {
          const justify = forgeQC(context, nextKind(), header.justify, lastQC)
          forged = signProposal(context, { ...block, header: { ...header, justify } }, lastViewTC)
        }
        rememberQC(header.justify)
        if (lastViewTC !== null) lastTC = lastViewTC
        return toEach(proposalMessage(forged), to)
      }
      if (message.kind === 'timeout-certificate' && message.tc.view >= 1) {
        // Relayed, not signed by us: a forged TC for the same view in its place, built from its own signatures.
        const { tc } = message
        const highQCView = Math.max(0, ...tc.highQCViews.filter((view) => view < tc.view))
        const forged = forgeTC(context, nextKind(), tc.view, highQCView, tc, lastTC)
        lastTC = tc
        return toEach({ kind: 'timeout-certificate', tc: forged }, to)
      }
      if (message.kind === 'timeout') {
        const { view, highQC } = message.timeout
        const forged = signTimeout(context, view, forgeQC(context, nextKind(), highQC, lastQC))
        rememberQC(highQC)
        return toEach(timeoutMessage(forged), to)
      }
      return toEach(message, to)
    },
  }
}
