// The block tree's pure helpers: the commit-rule arithmetic (two- and three-chain) of impliedCommitHeightOfChild
// and childEntry on
// hand-made entries, pathToRoot on a forked tree, and pruneTree (exactly the root and its descendants) on
// hand-made and random trees. Seeded (QUORATE_SEED overrides); fast-check prints any counterexample's seed.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import type { CommitRule } from '../../ledger/commit-rule.js'
import { blockHash, txRoot } from '../../ledger/hashing.js'
import type { Block, Hash } from '../../ledger/types.js'
import {
  childEntry,
  impliedCommitHeightOfChild,
  pathToRoot,
  pruneTree,
} from '../../node/consensus/block-tree.js'
import { genesisActivity, noActivity } from '../../node/consensus/leader-election.js'
import type { TreeEntry } from '../../node/consensus/types.js'
import { propertyParameters } from '../support/arbitraries.js'

const zeroHash = new Uint8Array(32)

/** A block at (height, view) under `parentHash`; `salt` (the timestamp) tells apart siblings in one view. */
function makeBlock(height: number, view: number, parentHash: Hash, salt = 0): Block {
  return {
    header: {
      height,
      view,
      parentHash,
      justify: { view: 0, blockHash: parentHash, signers: [], signatures: [] },
      proposer: view % 4,
      timestampMs: height * 1_000 + salt,
      txRoot: txRoot([]),
      stateRoot: zeroHash,
    },
    txs: [],
  }
}

/** A hand-made entry: only the height, view, ancestor views and implied commit height matter here. */
function entryAt(
  height: number,
  view: number,
  parentView: number,
  grandparentView: number,
  impliedCommitHeight = 0,
): TreeEntry {
  const block = makeBlock(height, view, zeroHash)
  const hash = blockHash(block.header)
  return {
    block,
    hash,
    hashHex: toHex(hash),
    parentView,
    grandparentView,
    impliedCommitHeight,
    lastActiveViews: noActivity(4),
    lastFailedViews: noActivity(4),
  }
}

const genesisBlock = makeBlock(0, 0, zeroHash)
const genesisHash = blockHash(genesisBlock.header)
/** The root entry a fresh node starts from. */
const genesisEntry: TreeEntry = {
  block: genesisBlock,
  hash: genesisHash,
  hashHex: toHex(genesisHash),
  parentView: 0,
  grandparentView: 0,
  impliedCommitHeight: 0,
  lastActiveViews: genesisActivity(4),
  lastFailedViews: noActivity(4),
}

function extend(parent: TreeEntry, view: number, salt = 0, rule: CommitRule = 'three-chain'): TreeEntry {
  const block = makeBlock(parent.block.header.height + 1, view, parent.hash, salt)
  return childEntry(parent, block, blockHash(block.header), rule)
}

function treeOf(entries: readonly TreeEntry[]): Map<string, TreeEntry> {
  return new Map(entries.map((entry) => [entry.hashHex, entry]))
}

describe('impliedCommitHeightOfChild, three-chain', () => {
  it("commits the parent's grandparent when parent, its parent and grandparent have consecutive views", () => {
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 6, 5), 'three-chain')).toBe(8)
    expect(impliedCommitHeightOfChild(entryAt(3, 9, 8, 7), 'three-chain')).toBe(1)
  })

  it("keeps the parent's implied height when the views are not consecutive", () => {
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 5, 4, 3), 'three-chain')).toBe(3)
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 6, 4, 3), 'three-chain')).toBe(3)
    expect(impliedCommitHeightOfChild(entryAt(10, 8, 6, 5, 3), 'three-chain')).toBe(3)
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 6, 6, 3), 'three-chain')).toBe(3)
  })

  it("never goes below the parent's implied height", () => {
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 6, 5, 9), 'three-chain')).toBe(9)
  })

  it('is 0 for children of genesis and of the first blocks', () => {
    expect(impliedCommitHeightOfChild(genesisEntry, 'three-chain')).toBe(0)
    // Block 1 in view 1 over genesis (view 0): its recorded grandparent view is genesis's parent view, 0.
    expect(impliedCommitHeightOfChild(entryAt(1, 1, 0, 0), 'three-chain')).toBe(0)
    // Block 2 in view 2 over views 1, 0: consecutive, commits height 0 (genesis, already committed).
    expect(impliedCommitHeightOfChild(entryAt(2, 2, 1, 0), 'three-chain')).toBe(0)
  })
})

describe('childEntry', () => {
  it("records the parent's view and grandparent view, the child's hash, implied commit height and activity", () => {
    const parent = entryAt(10, 7, 6, 5, 4)
    const block = makeBlock(11, 8, parent.hash)
    const hash = blockHash(block.header)
    expect(childEntry(parent, block, hash, 'three-chain')).toEqual({
      block,
      hash,
      hashHex: toHex(hash),
      parentView: 7,
      grandparentView: 6,
      impliedCommitHeight: 8,
      // The block's proposer (view 8 mod 4 = 0) has a block in view 8.
      lastActiveViews: [8, -1, -1, -1],
      // Views 7 and 8 are consecutive: no view skipped.
      lastFailedViews: [-1, -1, -1, -1],
    })
  })

  it('along a chain, the implied height is the highest consecutive triple strictly below the child', () => {
    // Views by height: 1 2 3 5 6 8 9 10 11
    const views = [1, 2, 3, 5, 6, 8, 9, 10, 11]
    const implied: number[] = []
    let entry = genesisEntry
    for (const view of views) {
      entry = extend(entry, view)
      implied.push(entry.impliedCommitHeight)
    }
    // Triples (h-2, h-1, h) of consecutive views: (0,1,2), (1,2,3), (6,7,8), (7,8,9). A child of the block at
    // height h learns the triple ending at h, so the block at height h + 1 carries h - 2.
    expect(implied).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 6])
  })

  it('under the two-chain rule, the implied height is the highest consecutive pair strictly below the child', () => {
    const views = [1, 2, 3, 5, 6, 8, 9, 10, 11]
    const implied: number[] = []
    let entry = genesisEntry
    for (const view of views) {
      entry = extend(entry, view, 0, 'two-chain')
      implied.push(entry.impliedCommitHeight)
    }
    // Pairs (h-1, h) of consecutive views: (0,1), (1,2), (2,3), (4,5), (6,7), (7,8), (8,9). A child of the
    // block at height h learns the pair ending at h, so the block at height h + 1 carries h - 1.
    expect(implied).toEqual([0, 0, 1, 2, 2, 4, 4, 6, 7])
  })
})

describe('impliedCommitHeightOfChild, two-chain', () => {
  it("commits the parent's parent when the parent and its parent have consecutive views", () => {
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 6, 5), 'two-chain')).toBe(9)
    // The grandparent's view does not matter.
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 6, 4, 3), 'two-chain')).toBe(9)
    expect(impliedCommitHeightOfChild(entryAt(3, 9, 8, 2), 'two-chain')).toBe(2)
  })

  it("keeps the parent's implied height when the parent's view does not follow its parent's", () => {
    expect(impliedCommitHeightOfChild(entryAt(10, 8, 6, 5, 3), 'two-chain')).toBe(3)
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 7, 6, 3), 'two-chain')).toBe(3)
    expect(impliedCommitHeightOfChild(entryAt(10, 7, 6, 5, 12), 'two-chain')).toBe(12)
  })

  it('is 0 for the child of genesis and of block 1', () => {
    expect(impliedCommitHeightOfChild(genesisEntry, 'two-chain')).toBe(0)
    expect(impliedCommitHeightOfChild(entryAt(1, 1, 0, 0), 'two-chain')).toBe(0)
  })
})

describe('pathToRoot', () => {
  //           ┌ a2 (2) ─ a3 (3)
  // G ─ a1 (1)┤
  //           └ b2 (4) ─ b3 (5)
  // G ─ c1 (6)
  const a1 = extend(genesisEntry, 1)
  const a2 = extend(a1, 2)
  const a3 = extend(a2, 3)
  const b2 = extend(a1, 4)
  const b3 = extend(b2, 5)
  const c1 = extend(genesisEntry, 6)
  const tree = treeOf([genesisEntry, a1, a2, a3, b2, b3, c1])

  it('lists the entries from the block down to, excluding, the root, highest first', () => {
    expect(pathToRoot(tree, a3.hashHex, genesisEntry.hashHex)).toEqual([a3, a2, a1])
    expect(pathToRoot(tree, b3.hashHex, genesisEntry.hashHex)).toEqual([b3, b2, a1])
    expect(pathToRoot(tree, a3.hashHex, a1.hashHex)).toEqual([a3, a2])
  })

  it('is empty from the root itself', () => {
    expect(pathToRoot(tree, a1.hashHex, a1.hashHex)).toEqual([])
  })

  it('is undefined when the root is not an ancestor', () => {
    expect(pathToRoot(tree, b3.hashHex, a2.hashHex)).toBeUndefined()
    expect(pathToRoot(tree, c1.hashHex, a1.hashHex)).toBeUndefined()
    expect(pathToRoot(tree, a1.hashHex, a3.hashHex)).toBeUndefined()
  })

  it('is undefined when the chain is broken or the block unknown', () => {
    const broken = treeOf([genesisEntry, a1, a3])
    expect(pathToRoot(broken, a3.hashHex, genesisEntry.hashHex)).toBeUndefined()
    expect(pathToRoot(tree, toHex(new Uint8Array(32).fill(9)), genesisEntry.hashHex)).toBeUndefined()
  })
})

describe('pruneTree', () => {
  const a1 = extend(genesisEntry, 1)
  const a2 = extend(a1, 2)
  const a3 = extend(a2, 3)
  const b2 = extend(a1, 4)
  const b3 = extend(b2, 5)
  const c1 = extend(genesisEntry, 6)
  // A sibling of a2 in the same view (an equivocation), kept apart by its timestamp.
  const a2Twin = extend(a1, 2, 1)
  const all = [genesisEntry, a1, a2, a3, b2, b3, c1, a2Twin]
  const tree = treeOf(all)

  function keptOf(rootHex: string): string[] {
    return [...pruneTree(tree, rootHex).keys()].sort()
  }

  it('keeps exactly the new root and its descendants', () => {
    expect(keptOf(a1.hashHex)).toEqual([a1, a2, a3, b2, b3, a2Twin].map((e) => e.hashHex).sort())
    expect(keptOf(a2.hashHex)).toEqual([a2, a3].map((e) => e.hashHex).sort())
    expect(keptOf(b2.hashHex)).toEqual([b2, b3].map((e) => e.hashHex).sort())
    expect(keptOf(a3.hashHex)).toEqual([a3.hashHex])
    expect(keptOf(genesisEntry.hashHex)).toEqual(all.map((e) => e.hashHex).sort())
  })

  it('keeps the entries themselves and leaves the input tree untouched', () => {
    const pruned = pruneTree(tree, a2.hashHex)
    expect(pruned.get(a3.hashHex)).toBe(a3)
    expect(tree.size).toBe(all.length)
  })

  it('drops a block whose parent is missing, even above the root', () => {
    const orphaned = treeOf([genesisEntry, a1, a3])
    expect([...pruneTree(orphaned, a1.hashHex).keys()]).toEqual([a1.hashHex])
  })

  it('throws when the root is not in the tree', () => {
    expect(() => pruneTree(treeOf([a1, a2]), genesisEntry.hashHex)).toThrow(/not in the block tree/)
  })

  it('on random trees, keeps exactly the root and its descendants, whatever the insertion order', () => {
    // Node i > 0 hangs under a random earlier node; views increase with i, so every child's view is above its
    // parent's. Then a random node becomes the root and the entries are inserted in a random order.
    const arbitraryTree = fc.integer({ min: 1, max: 40 }).chain((size) =>
      fc.tuple(
        fc
          .array(fc.nat(), { minLength: size - 1, maxLength: size - 1 })
          .map((picks) => picks.map((pick, i) => pick % (i + 1))),
        fc.nat(size - 1),
        fc.shuffledSubarray(
          Array.from({ length: size }, (_, i) => i),
          { minLength: size, maxLength: size },
        ),
      ),
    )
    fc.assert(
      fc.property(arbitraryTree, ([parents, rootIndex, order]) => {
        const entries: TreeEntry[] = [genesisEntry]
        parents.forEach((parent, i) => {
          entries.push(extend(entries[parent]!, i + 1))
        })
        const parentOf = (i: number): number | undefined => (i === 0 ? undefined : parents[i - 1])
        const isDescendant = (i: number): boolean => {
          for (let cursor: number | undefined = i; cursor !== undefined; cursor = parentOf(cursor)) {
            if (cursor === rootIndex) return true
          }
          return false
        }
        const shuffled = treeOf(order.map((i) => entries[i]!))
        const root = entries[rootIndex]!
        const pruned = pruneTree(shuffled, root.hashHex)
        const expected = entries.filter((_, i) => isDescendant(i)).map((entry) => entry.hashHex)
        expect([...pruned.keys()].sort()).toEqual(expected.sort())
        // And pathToRoot reaches the root from exactly the kept entries, in height-difference steps.
        entries.forEach((entry, i) => {
          const path = pathToRoot(shuffled, entry.hashHex, root.hashHex)
          expect(path !== undefined).toBe(isDescendant(i))
          if (path !== undefined)
            expect(path).toHaveLength(entry.block.header.height - root.block.header.height)
        })
      }),
      propertyParameters(200),
    )
  })
})
