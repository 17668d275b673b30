// Sync liar: a lying, unsolicited block-sync peer. Honest in consensus; on /quorate/sync/1.0.0 it
// - answers `get-head` itself (the request never reaches its honest server) with a head far above the real one,
//   whose QC is forged: one of the forgery kinds of forgery.ts over the claimed header (bad or borrowed
//   signatures, too few signers), or a real QC it has seen, which certifies another block;
// - rewrites its honest server's `blocks` replies into wrong ones, cycling through: a broken parent link, the
//   blocks of the next height in place of the asked ones, a forged QC, a block stripped of its transactions
//   (txRoot no longer matches), and a made-up chain of forged certificates (also what an empty reply becomes);
// - strips the transactions from the blocks its honest server sends in answer to `get-block` (the header, and
//   so the hash that was asked for, is unchanged: only the body is wrong);
// - every few ticks sends every other validator a lying head, a made-up `blocks` batch and a `block`, unasked.
//
// An honest validator must reject all of it (count it, penalise the liar), never pause consensus or start block
// sync on its word, never hold back a fetch because the liar answered first, and still sync from honest peers.

import { blockHash } from '../../ledger/hashing.js'
import type { Block, QuorumCertificate } from '../../ledger/types.js'
import { roundRobinLeader } from '../../node/consensus/leader-election.js'
import type { CertifiedBlock, SyncMessage } from '../../node/sync/sync-messages.js'
import { blockWith } from './blocks.js'
import { type ForgeryKind, forgeQC, forgeryKinds } from './forgery.js'
import { type RawFrame, readSyncFrame, syncFrame } from './frames.js'
import { genesisQC, otherValidators, toEach } from './messages.js'
import { ChainObserver } from './observed-chain.js'
import { pick, randomBytes, randomInt, withOneBitFlipped } from './random.js'
import type { ByzantineContext, ByzantineFactory } from './types.js'

/** How a lying head's QC is wrong: a forgery over the claimed header, or a real QC for another block. */
export const syncLiarHeadKinds = [...forgeryKinds, 'other-block-qc'] as const
export type SyncLiarHeadKind = (typeof syncLiarHeadKinds)[number]

/** How a `blocks` reply is made wrong. */
export const syncLiarBatchKinds = [
  'broken-link',
  'other-height',
  'forged-qc',
  'stripped-txs',
  'made-up',
] as const
export type SyncLiarBatchKind = (typeof syncLiarBatchKinds)[number]

/** A lying head claims at least this many blocks above the highest height seen (far past any lag threshold). */
export const syncLiarHeightLead = 1_000
const syncLiarHeightSpread = 1_000
/** Unsolicited heads, batches and blocks go out every this many ticks. */
export const syncLiarUnsolicitedEveryTicks = 5
/** Blocks in a made-up batch. */
export const syncLiarMadeUpBlockCount = 4

export const syncLiarFixture: ByzantineFactory = (context) => {
  const observer = new ChainObserver()
  const others = otherValidators(context)
  let headCount = 0
  let batchCount = 0
  let forgeryCount = 0
  let tickCount = 0

  const latestQC = (): QuorumCertificate | null => observer.qcs().at(-1) ?? null
  const nextForgery = (): ForgeryKind => forgeryKinds[forgeryCount++ % forgeryKinds.length] as ForgeryKind
  /** A QC for exactly `block` (its view and hash) that does not verify. */
  const forgedQCFor = (block: Block): QuorumCertificate =>
    forgeQC(context, nextForgery(), certificateTarget(block), latestQC())

  const lyingHead = (): SyncMessage => {
    const kind = syncLiarHeadKinds[headCount++ % syncLiarHeadKinds.length] as SyncLiarHeadKind
    const height = observer.height + syncLiarHeightLead + randomInt(context.random, syncLiarHeightSpread)
    const view = Math.max(observer.view, height) + 1
    const { header } = madeUpBlock(context, height, view, randomBytes(context.random, 32), latestQC())
    const target = { view, blockHash: blockHash(header), signers: [], signatures: [] }
    const real = latestQC()
    if (kind === 'other-block-qc' && real !== null) return { kind: 'head', header, qc: real }
    const forgery = kind === 'other-block-qc' ? 'random-signatures' : kind
    return { kind: 'head', header, qc: forgeQC(context, forgery, target, real) }
  }

  /** A linked chain of made-up blocks from `fromHeight`, each with a forged certificate. */
  const madeUpBatch = (fromHeight: number, count: number): CertifiedBlock[] => {
    const batch: CertifiedBlock[] = []
    let parentHash = randomBytes(context.random, 32)
    let justify = latestQC() ?? genesisQC(context)
    const firstView = Math.max(observer.view, fromHeight) + 1
    for (let i = 0; i < count; i++) {
      const block = madeUpBlock(context, fromHeight + i, firstView + i, parentHash, justify)
      const qc = forgedQCFor(block)
      batch.push({ block, qc })
      parentHash = blockHash(block.header)
      justify = qc
    }
    return batch
  }

  const wrongBatch = (fromHeight: number, honest: readonly CertifiedBlock[]): CertifiedBlock[] => {
    const kind = syncLiarBatchKinds[batchCount++ % syncLiarBatchKinds.length] as SyncLiarBatchKind
    if (honest.length === 0 || kind === 'made-up')
      return madeUpBatch(fromHeight, Math.max(1, Math.min(honest.length, syncLiarMadeUpBlockCount)))
    const blocks = [...honest]
    const i = randomInt(context.random, blocks.length)
    const { block, qc } = blocks[i] as CertifiedBlock
    switch (kind) {
      case 'broken-link': {
        // The link is checked before the certificate: a parent hash one bit off reads as a broken chain.
        const at = blocks.length > 1 ? 1 + randomInt(context.random, blocks.length - 1) : 0
        const linked = (blocks[at] as CertifiedBlock).block
        const header = {
          ...linked.header,
          parentHash: withOneBitFlipped(context.random, linked.header.parentHash),
        }
        blocks[at] = { block: { ...linked, header }, qc: (blocks[at] as CertifiedBlock).qc }
        return blocks
      }
      case 'other-height':
        // The asked heights shifted by one: the first block is missing, every other one is a height early.
        return blocks.length > 1 ? blocks.slice(1) : madeUpBatch(fromHeight + 1, 1)
      case 'forged-qc':
        blocks[i] = { block, qc: forgeQC(context, nextForgery(), qc, latestQC()) }
        return blocks
      case 'stripped-txs': {
        const withTxs = blocks.findIndex((each) => each.block.txs.length > 0)
        if (withTxs < 0) return wrongBatch(fromHeight, honest)
        const full = blocks[withTxs] as CertifiedBlock
        blocks[withTxs] = { block: { ...full.block, txs: [] }, qc: full.qc }
        return blocks
      }
    }
  }

  const unsolicited = (to: number): RawFrame[] => {
    const fromHeight = observer.height + 1
    const seen = observer.proposals()
    const block = seen.length > 0 ? pick(context.random, seen).block : madeUpBatch(fromHeight, 1)[0]!.block
    return [
      syncFrame(to, lyingHead()),
      syncFrame(to, {
        kind: 'blocks',
        fromHeight,
        blocks: madeUpBatch(fromHeight, syncLiarMadeUpBlockCount),
      }),
      syncFrame(to, { kind: 'block', block }),
    ]
  }

  const rewrite = (message: SyncMessage): SyncMessage => {
    switch (message.kind) {
      case 'head':
        return lyingHead()
      case 'blocks':
        return {
          kind: 'blocks',
          fromHeight: message.fromHeight,
          blocks: wrongBatch(message.fromHeight, message.blocks),
        }
      case 'block':
        return message.block.txs.length > 0
          ? { kind: 'block', block: { ...message.block, txs: [] } }
          : message
      default:
        return message
    }
  }

  return {
    name: 'sync-liar',
    outgoing: (message, to) => {
      observer.ownMessage(message)
      return toEach(message, to)
    },
    incoming: (protocol, from, frame) => {
      observer.peerFrame(protocol, frame)
      if (protocol !== 'sync' || readSyncFrame(frame)?.kind !== 'get-head') return { pass: true }
      return { pass: false, replies: [syncFrame(from, lyingHead())] }
    },
    outgoingFrame: (protocol, to, frame) => {
      const message = protocol === 'sync' ? readSyncFrame(frame) : undefined
      if (message === undefined) return [{ to, protocol, frame }]
      return [syncFrame(to, rewrite(message))]
    },
    tickFrames: () => {
      if (tickCount++ % syncLiarUnsolicitedEveryTicks !== 0) return []
      return others.flatMap(unsolicited)
    },
  }
}

/** What a QC for `block` names (no signatures yet): its view and hash. */
function certificateTarget(block: Block): QuorumCertificate {
  return { view: block.header.view, blockHash: blockHash(block.header), signers: [], signatures: [] }
}

function madeUpBlock(
  context: ByzantineContext,
  height: number,
  view: number,
  parentHash: Uint8Array,
  justify: QuorumCertificate | null,
): Block {
  return blockWith({
    height,
    view,
    parentHash,
    justify: justify ?? genesisQC(context),
    proposer: roundRobinLeader(view, context.validatorCount),
    timestampMs: context.nowMs(),
    stateRoot: randomBytes(context.random, 32),
  })
}
