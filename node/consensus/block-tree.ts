import { toHex } from '../../crypto/hex.js'
import { type CommitRule, chainLength, isCommittingChain } from '../../ledger/commit-rule.js'
import { blockHash } from '../../ledger/hashing.js'
import type { Block, Hash } from '../../ledger/types.js'
import {
  activityAfter,
  activityWindowViews,
  failuresAfter,
  genesisActivity,
  noActivity,
} from './leader-election.js'
import type { ConsensusConfig, TreeEntry } from './types.js'

/**
 * The height a QC for `certified` commits under `rule` (its ancestor chainLength − 1 below, when the chain
 * ending at it has consecutive views), or 0 when it commits nothing.
 */
export function heightCommittedByQCFor(certified: TreeEntry, rule: CommitRule): number {
  const views = [certified.block.header.view, certified.parentView, certified.grandparentView]
  return isCommittingChain(rule, views) ? certified.block.header.height - (chainLength(rule) - 1) : 0
}

/** The height that the QCs in a child of `parent` commit: a child's justify certifies `parent`. */
export function impliedCommitHeightOfChild(parent: TreeEntry, rule: CommitRule): number {
  return Math.max(parent.impliedCommitHeight, heightCommittedByQCFor(parent, rule))
}

export function childEntry(parent: TreeEntry, block: Block, hash: Hash, rule: CommitRule): TreeEntry {
  return {
    block,
    hash,
    hashHex: toHex(hash),
    parentView: parent.block.header.view,
    grandparentView: parent.parentView,
    impliedCommitHeight: impliedCommitHeightOfChild(parent, rule),
    lastActiveViews: activityAfter(parent.lastActiveViews, block.header),
    lastFailedViews: failuresAfter(parent.lastFailedViews, parent.block.header.view, block.header),
  }
}

/** Entries from `fromHex` back to (excluding) the root, highest first; undefined if the chain is broken. */
export function pathToRoot(
  tree: ReadonlyMap<string, TreeEntry>,
  fromHex: string,
  rootHex: string,
): TreeEntry[] | undefined {
  const path: TreeEntry[] = []
  let cursor = tree.get(fromHex)
  while (cursor !== undefined && cursor.hashHex !== rootHex) {
    path.push(cursor)
    cursor = tree.get(toHex(cursor.block.header.parentHash))
  }
  return cursor === undefined ? undefined : path
}

/** True when an uncommitted block of the tree carries transactions: more views are needed to commit them. */
export function treeHasTxs(tree: ReadonlyMap<string, TreeEntry>, rootHex: string): boolean {
  for (const entry of tree.values()) {
    if (entry.hashHex !== rootHex && entry.block.txs.length > 0) return true
  }
  return false
}

/** Keeps the new root and its descendants; drops committed ancestors and every conflicting fork. */
export function pruneTree(tree: ReadonlyMap<string, TreeEntry>, rootHex: string): Map<string, TreeEntry> {
  const root = tree.get(rootHex)
  if (root === undefined) throw new Error(`prune: root ${rootHex} is not in the block tree`)
  const byHeight = [...tree.values()].sort((a, b) => a.block.header.height - b.block.header.height)
  const kept = new Map<string, TreeEntry>([[rootHex, root]])
  for (const entry of byHeight) {
    if (entry.block.header.height <= root.block.header.height) continue
    if (kept.has(toHex(entry.block.header.parentHash))) kept.set(entry.hashHex, entry)
  }
  return kept
}

/**
 * How far back `rootEntryFromChain` walks the committed chain looking for the root's implied commit. Also
 * covers the leader-election activity window (2n views ≤ 2 · validatorCountMax < this many heights).
 */
export const impliedCommitSearchDepthMax = 1_000

/** What the tree's bookkeeping needs to know about the chain: fixed by its genesis. */
export interface ChainShape {
  readonly validatorCount: number
  readonly commitRule: CommitRule
}

export function chainShapeOf(config: ConsensusConfig): ChainShape {
  return { validatorCount: config.validators.length, commitRule: config.params.commitRule }
}

/**
 * Rebuilds the tree root (the last committed block) from the committed chain after a restart: its ancestors'
 * views, the height its own ancestry commits and the validators' recent activity, exactly as `childEntry`
 * computed them before (as far as leader election reads them). `blockAt(h)` must return committed blocks from
 * `headHeight - impliedCommitSearchDepthMax - 2` (or 0) up to `headHeight`; height 0 is the genesis block.
 */
export function rootEntryFromChain(
  headHeight: number,
  chain: ChainShape,
  blockAt: (height: number) => Block,
): TreeEntry {
  const { validatorCount, commitRule } = chain
  const viewAt = (height: number) => (height <= 0 ? 0 : blockAt(height).header.view)
  // The highest A0 committed by a QC inside the root's ancestry: A0 … Ak−1 in consecutive views, where Ak−1
  // is a strict ancestor of the root (its QC is in its child, at or below the root).
  let impliedCommitHeight = 0
  const length = chainLength(commitRule)
  const lowest = Math.max(length - 1, headHeight - impliedCommitSearchDepthMax)
  for (let height = headHeight - 1; height >= lowest; height--) {
    if (isCommittingChain(commitRule, [viewAt(height), viewAt(height - 1), viewAt(height - 2)])) {
      impliedCommitHeight = height - (length - 1)
      break
    }
  }
  // Views grow with height, so every block with a view inside the activity window is among the last
  // window + 1 heights; older activity is outside the window for the root and every later block.
  // Starting from the genesis record wherever the window starts gives what childEntry computed from genesis:
  // the zeros expire at the first block whose window starts above view 0, and so did the genesis record's.
  let lastActiveViews = genesisActivity(validatorCount)
  let lastFailedViews = noActivity(validatorCount)
  const oldest = Math.max(1, headHeight - activityWindowViews(validatorCount))
  for (let height = oldest; height <= headHeight; height++) {
    const { header } = blockAt(height)
    lastActiveViews = activityAfter(lastActiveViews, header)
    lastFailedViews = failuresAfter(lastFailedViews, viewAt(height - 1), header)
  }
  const root = blockAt(headHeight)
  const hash = blockHash(root.header)
  return {
    block: root,
    hash,
    hashHex: toHex(hash),
    parentView: viewAt(headHeight - 1),
    grandparentView: viewAt(headHeight - 2),
    impliedCommitHeight,
    lastActiveViews,
    lastFailedViews,
  }
}
