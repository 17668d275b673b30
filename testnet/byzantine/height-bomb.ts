// Height bomb: forged block-sync triggers. Honest otherwise; on every tick it sends, for each view it leads from
// the current view to one future window ahead (where receivers still take proposals), a proposal signed as that
// view's leader whose block claims an absurd height: far above the real head, 2^40, or the largest safe integer
// (arithmetic on it overflows). Its justify is the genesis QC, which needs no signature, and its parent the
// genesis block, so it passes every signature and certificate check; only the height is a lie, and nothing but
// our own word backs it.
//
// An honest validator must not pause consensus, start block sync or ask anyone for blocks because of it: one
// validator's signature is no evidence of a gap (a QC, or f+1 peers, is). The block itself is not a valid child
// of genesis at that height and gets no vote. (The leader's real proposal in a bombed view is then a second
// proposal, recorded as evidence: the bomb costs us our own views, no more than being silent in them.)

import { futureViewWindow } from '../../ledger/limits.js'
import type { ConsensusMessage } from '../../ledger/types.js'
import { blockWith } from './blocks.js'
import { genesisQC, nextLedView, otherValidators, proposalMessage, signProposal, toEach } from './messages.js'
import { ChainObserver, watchingHooks } from './observed-chain.js'
import { randomBytes, randomInt } from './random.js'
import type { ByzantineFactory, Outgoing } from './types.js'

/** The lies, cycling by view: how far above the real head (or at what absurd height) each bomb claims to be. */
export const heightBombKinds = ['far-above', 'huge', 'max-safe'] as const
export type HeightBombKind = (typeof heightBombKinds)[number]

/** 'far-above' claims the real head plus at least this (far beyond any sync lag threshold). */
export const heightBombDistanceMin = 10_000
const heightBombDistanceSpread = 1_000_000
const hugeHeight = 2 ** 40

/** Signed bombs kept for re-sending (one per view; views left behind are forgotten). */
export const heightBombCacheCountMax = 64

export const heightBombFixture: ByzantineFactory = (context) => {
  const observer = new ChainObserver()
  const others = otherValidators(context)
  const bombs = new Map<number, ConsensusMessage>()
  let bombCount = 0

  const claimedHeight = (kind: HeightBombKind): number => {
    switch (kind) {
      case 'far-above':
        return observer.height + heightBombDistanceMin + randomInt(context.random, heightBombDistanceSpread)
      case 'huge':
        return hugeHeight + randomInt(context.random, heightBombDistanceSpread)
      case 'max-safe':
        return Number.MAX_SAFE_INTEGER
    }
  }

  const bombFor = (view: number): ConsensusMessage => {
    const cached = bombs.get(view)
    if (cached !== undefined) return cached
    const kind = heightBombKinds[bombCount++ % heightBombKinds.length] as HeightBombKind
    const block = blockWith({
      height: claimedHeight(kind),
      view,
      parentHash: context.genesisHash,
      justify: genesisQC(context),
      proposer: context.selfIndex,
      timestampMs: context.nowMs(),
      stateRoot: randomBytes(context.random, 32),
    })
    const message = proposalMessage(signProposal(context, block, null))
    for (const old of bombs.keys())
      if (old < observer.view || bombs.size >= heightBombCacheCountMax) bombs.delete(old)
    bombs.set(view, message)
    return message
  }

  return {
    name: 'height-bomb',
    ...watchingHooks(observer),
    tick: () => {
      const out: Outgoing[] = []
      const last = observer.view + futureViewWindow
      for (let view = nextLedView(context, observer.view); view <= last; view += context.validatorCount) {
        out.push(...toEach(bombFor(view), others))
      }
      return out
    },
  }
}
