import { toHex } from '../../crypto/hex.js'
import type { Block, Hash } from '../../ledger/types.js'
import type { TreeEntry } from './types.js'

/** Leader(v) = validators[v mod n]: rotating, no fixed leader. */
export function leaderOf(view: number, validatorCount: number): number {
  return view % validatorCount
}

/**
 * The height that the QCs in a child of `parent` commit. A child's justify certifies `parent`; the 3-chain rule
 * commits parent's grandparent when parent, its parent and its grandparent have consecutive views.
 */
export function impliedCommitHeightOfChild(parent: TreeEntry): number {
  const view = parent.block.header.view
  const consecutive = view === parent.parentView + 1 && parent.parentView === parent.grandparentView + 1
  const committedByParent = consecutive ? parent.block.header.height - 2 : 0
  return Math.max(parent.impliedCommitHeight, committedByParent)
}

export function childEntry(parent: TreeEntry, block: Block, hash: Hash): TreeEntry {
  return {
    block,
    hash,
    hashHex: toHex(hash),
    parentView: parent.block.header.view,
    grandparentView: parent.parentView,
    impliedCommitHeight: impliedCommitHeightOfChild(parent),
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
