// Old-view spam: proposals for views long past. Honest otherwise; on every tick, for several views it led before
// the current one (walking down from the newest to view 1, then again from the top), it signs two different
// proposals per view, each at a height above the committed root, so each passes every signature and
// certificate check. The second of each pair is a double proposal: a fresh evidence key for every old view.
// The pairs alternate between two kinds of parent:
// - 'unknown-parent': the genesis QC as justify and, as parent, a block the receivers do not have: a made-up
//   sibling of the newest block it has seen (same parent, same valid justify, another state root), which it
//   hands out itself when they fetch it, so each pair also lands a block in their block tree (with nothing
//   seen yet, a random hash: the pair waits among the pending proposals);
// - 'certified-parent': the newest block's own parent and justify (a real QC for that parent, consistent with
//   the parent hash), so the pair gets past any check of the parent against the justify and is refused only
//   for its view.
//
// An honest validator must bound everything this touches by view window and by peer: proposals for views far
// below its own are dropped before they are stored, evidence insertion stays constant-time however many keys
// one validator mints, pending proposals and fetches from one peer cannot evict another's, and the block tree
// cannot be filled by blocks no proposal in its window needs.

import { blockHash, hashKey } from '../../ledger/hashing.js'
import type { Block, BlockHeader, Hash, Proposal } from '../../ledger/types.js'
import { roundRobinLeader } from '../../node/consensus/leader-election.js'
import { blockWith } from './blocks.js'
import { readSyncFrame, syncFrame } from './frames.js'
import {
  genesisQC,
  otherValidators,
  previousLedView,
  proposalMessage,
  signProposal,
  toEach,
} from './messages.js'
import { ChainObserver } from './observed-chain.js'
import { randomBytes, randomInt } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

export const oldViewSpamKinds = ['unknown-parent', 'certified-parent'] as const
export type OldViewSpamKind = (typeof oldViewSpamKinds)[number]

/** Old views spammed per tick (two proposals each, to every other validator). */
export const oldViewSpamViewsPerTick = 8
/** Without a parent to build on, a pair claims a height up to this far above the highest seen. */
const oldViewSpamHeightSpread = 64
/** Made-up parent blocks kept to answer fetches with (oldest forgotten first). */
export const oldViewSpamServedCountMax = 256

export const oldViewSpamFixture: ByzantineFactory = (context) => {
  const observer = new ChainObserver()
  const others = otherValidators(context)
  const served = new Map<string, Block>()
  let cursor: number | undefined
  let pairCount = 0

  /** The newest plausible real block seen (height at most its view, not genesis). */
  const newestSeen = (): Block | undefined =>
    observer
      .proposals()
      .findLast(({ block }) => block.header.height <= block.header.view && block.header.height > 0)?.block

  /** A sibling of the newest plausible block seen: its parent and justify, another state root. */
  const madeUpParent = (): Block | undefined => {
    const newest = newestSeen()
    if (newest === undefined) return undefined
    const { header } = newest
    const view = header.justify.view + 1
    const sibling = blockWith({
      height: header.height,
      view,
      parentHash: header.parentHash,
      justify: header.justify,
      proposer: roundRobinLeader(view, context.validatorCount),
      timestampMs: header.timestampMs,
      stateRoot: randomBytes(context.random, 32),
    })
    if (served.size >= oldViewSpamServedCountMax) served.delete(served.keys().next().value as string)
    served.set(hashKey(blockHash(sibling.header)), sibling)
    return sibling
  }

  /** Parent, justify and height of a pair of the given kind. */
  const placeOf = (kind: OldViewSpamKind): Pick<BlockHeader, 'height' | 'parentHash' | 'justify'> => {
    const newest = kind === 'certified-parent' ? newestSeen() : undefined
    if (newest !== undefined) {
      const { height, parentHash, justify } = newest.header
      return { height, parentHash, justify }
    }
    const parent = madeUpParent()
    const parentHash: Hash = parent === undefined ? randomBytes(context.random, 32) : blockHash(parent.header)
    const height =
      parent === undefined
        ? observer.height + 1 + randomInt(context.random, oldViewSpamHeightSpread)
        : parent.header.height + 1
    return { height, parentHash, justify: genesisQC(context) }
  }

  const pairFor = (view: number): [Proposal, Proposal] => {
    const kind = oldViewSpamKinds[pairCount++ % oldViewSpamKinds.length] as OldViewSpamKind
    const base = {
      ...placeOf(kind),
      view,
      proposer: context.selfIndex,
      stateRoot: randomBytes(context.random, 32),
    }
    const timestampMs = context.nowMs()
    return [
      signProposal(context, blockWith({ ...base, timestampMs }), null),
      signProposal(context, blockWith({ ...base, timestampMs: timestampMs + 1 }), null),
    ]
  }

  return {
    name: 'old-view-spam',
    outgoing: (message, to) => {
      observer.ownMessage(message)
      return toEach(message, to)
    },
    incoming: (protocol, from, frame) => {
      observer.peerFrame(protocol, frame)
      if (protocol !== 'sync') return { pass: true }
      const request = readSyncFrame(frame)
      const block = request?.kind === 'get-block' ? served.get(hashKey(request.hash)) : undefined
      if (block === undefined) return { pass: true }
      return { pass: false, replies: [syncFrame(from, { kind: 'block', block })] }
    },
    tick: () => {
      // Old: below the view our core is in (the receivers are there too, or close).
      const newestOld = previousLedView(context, observer.view - 1)
      if (newestOld === undefined || others.length === 0) return []
      const out: Outgoing[] = []
      for (let k = 0; k < oldViewSpamViewsPerTick; k++) {
        const view = cursor === undefined || cursor > newestOld ? newestOld : cursor
        for (const proposal of pairFor(view)) out.push(...toEach(proposalMessage(proposal), others))
        cursor = previousLedView(context, view - 1) ?? newestOld
      }
      return out
    },
  }
}
