import { toHex } from '../crypto/hex.js'
import type { LedgerStore } from '../ledger/store/index.js'
import type { Block } from '../ledger/types.js'
import { impliedCommitSearchDepthMax, rootEntryFromChain, type TreeEntry } from './consensus/index.js'

/** Rebuilds the block-tree root from the store: the last committed block and what the core needs about it. */
export async function loadTreeRoot(store: LedgerStore, genesisBlock: Block): Promise<TreeEntry> {
  const head = store.head()
  const blocks = new Map<number, Block>([[0, genesisBlock]])
  for (
    let height = Math.max(1, head.height - impliedCommitSearchDepthMax - 2);
    height <= head.height;
    height++
  ) {
    const block = await store.blockByHeight(height)
    if (block === undefined) throw new Error(`committed block ${height} is missing from the store`)
    blocks.set(height, block)
  }
  const root = rootEntryFromChain(head.height, (height) => {
    const block = blocks.get(height)
    if (block === undefined) throw new Error(`block ${height} was not loaded`)
    return block
  })
  if (root.hashHex !== toHex(head.hash))
    throw new Error(`stored head hash does not match block ${head.height}`)
  return root
}
