// TC inflater: certificates whose high-QC claim no honest leader can meet. Honest otherwise, except that it
// never sends its own timeouts; instead it collects the timeouts peers send it and, as soon as it holds
// quorum − 1 of them for a view, adds its own signature claiming a high QC in the view just before (a QC that
// need not exist: each signer signs only the view of its high QC) and sends that TC to every other validator,
// once per view. It needs the honest replicas' timeouts but not theirs to finish, so it usually arrives first.
//
// Under the two-chain commit rule a replica votes after a TC only for a block extending a QC at least as high
// as every high-QC view the TC names. An honest leader entering by this TC holds no such QC: unless it leads
// after a TC of its own, the view is lost, and the next, and so on. An honest validator must answer such a TC
// by timing out its view itself (so honest timeouts form a TC), and lead only after a TC it can extend.

import { quorumSize } from '../../ledger/quorum.js'
import type { ConsensusMessage, Timeout, TimeoutCertificate } from '../../ledger/types.js'
import { consensusFrame, readConsensusFrame } from './frames.js'
import { otherValidators, signTimeout, toEach } from './messages.js'
import type { ByzantineFactory, RawFrame } from './types.js'

/** Views whose collected timeouts are kept (oldest forgotten first). */
export const tcInflaterViewCountMax = 8

export const tcInflaterFixture: ByzantineFactory = (context) => {
  const others = otherValidators(context)
  const quorum = quorumSize(context.validatorCount)
  /** Per view, the peers' timeouts (by sender); a view is deleted once its TC left. */
  const collected = new Map<number, Map<number, Timeout>>()
  const sentViews = new Set<number>()

  const inflatedTC = (view: number, bySender: ReadonlyMap<number, Timeout>): TimeoutCertificate => {
    const claimed = view - 1
    const own = signTimeout(context, view, {
      view: claimed,
      blockHash: context.genesisHash,
      signers: [],
      signatures: [],
    })
    const entries = [
      ...[...bySender.values()].map((timeout) => ({ ...timeout, claimed: timeout.highQC.view })),
      { ...own, claimed },
    ].sort((a, b) => a.sender - b.sender)
    return {
      view,
      signers: entries.map((each) => each.sender),
      highQCViews: entries.map((each) => each.claimed),
      signatures: entries.map((each) => each.signature),
    }
  }

  const onPeerTimeout = (timeout: Timeout): RawFrame[] => {
    if (timeout.sender === context.selfIndex || sentViews.has(timeout.view)) return []
    let bySender = collected.get(timeout.view)
    if (bySender === undefined) {
      if (collected.size >= tcInflaterViewCountMax) collected.delete(Math.min(...collected.keys()))
      bySender = new Map()
      collected.set(timeout.view, bySender)
    }
    bySender.set(timeout.sender, timeout)
    if (bySender.size < quorum - 1) return []
    collected.delete(timeout.view)
    sentViews.add(timeout.view)
    if (sentViews.size > tcInflaterViewCountMax) sentViews.delete(Math.min(...sentViews))
    const message: ConsensusMessage = { kind: 'timeout-certificate', tc: inflatedTC(timeout.view, bySender) }
    return others.map((to) => consensusFrame(to, message))
  }

  return {
    name: 'tc-inflater',
    outgoing: (message, to) => (message.kind === 'timeout' ? [] : toEach(message, to)),
    incoming: (protocol, _from, frame) => {
      if (protocol !== 'consensus') return { pass: true }
      const message = readConsensusFrame(frame)
      // Sent at once, as the reply to the timeout that completed it: the race with the honest TC is the point.
      const replies = message?.kind === 'timeout' ? onPeerTimeout(message.timeout) : []
      return { pass: true, replies }
    },
  }
}
