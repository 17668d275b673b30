import { toHex } from '../crypto/hex.js'
import { blockHash } from '../ledger/hashing.js'
import type { LedgerStore } from '../ledger/store/index.js'
import type { Block } from '../ledger/types.js'
import type { TreeEntry } from './consensus/index.js'

/** How far back the implied-commit search walks the committed chain on start. */
const impliedCommitSearchDepthMax = 1_000

/**
 * Rebuilds the block-tree root (the last committed block) from the store: its ancestors' views and the height
 * its own ancestry commits, exactly as the core computed them before the restart.
 */
export async function loadTreeRoot(store: LedgerStore, genesisBlock: Block): Promise<TreeEntry> {
  const cache = new Map<number, Block>([[0, genesisBlock]])
  const blockAt = async (height: number): Promise<Block> => {
    const cached = cache.get(height)
    if (cached !== undefined) return cached
    const block = await store.blockByHeight(height)
    if (block === undefined) throw new Error(`committed block ${height} is missing from the store`)
    cache.set(height, block)
    return block
  }
  const viewAt = async (height: number) => (height <= 0 ? 0 : (await blockAt(height)).header.view)
  const head = store.head()
  const root = await blockAt(head.height)
  const hash = blockHash(root.header)
  if (toHex(hash) !== toHex(head.hash))
    throw new Error(`stored head hash does not match block ${head.height}`)

  // The highest A0 with A0, A1, A2 in consecutive views where A2 is a strict ancestor of the root.
  let impliedCommitHeight = 0
  const lowest = Math.max(2, head.height - impliedCommitSearchDepthMax)
  for (let height = head.height - 1; height >= lowest; height--) {
    const [view2, view1, view0] = [await viewAt(height), await viewAt(height - 1), await viewAt(height - 2)]
    if (view2 === view1 + 1 && view1 === view0 + 1) {
      impliedCommitHeight = height - 2
      break
    }
  }
  return {
    block: root,
    hash,
    hashHex: toHex(hash),
    parentView: await viewAt(head.height - 1),
    grandparentView: await viewAt(head.height - 2),
    impliedCommitHeight,
  }
}
