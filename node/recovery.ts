import { toHex } from '../crypto/hex.js'
import { type LedgerStore, StoreError } from '../ledger/store/index.js'
import type { Block, Hash } from '../ledger/types.js'
import {
  type ChainShape,
  impliedCommitSearchDepthMax,
  rootEntryFromChain,
  stateRootHeightsAtBoot,
  type TreeEntry,
} from './consensus/index.js'

/** Rebuilds the block-tree root from the store: the last committed block and what the core needs about it. */
export async function loadTreeRoot(
  store: LedgerStore,
  genesisBlock: Block,
  chain: ChainShape,
): Promise<TreeEntry> {
  const head = store.head()
  const blocks = new Map<number, Block>([[0, genesisBlock]])
  for (
    let height = Math.max(1, head.height - impliedCommitSearchDepthMax - 2);
    height <= head.height;
    height++
  ) {
    const block = await store.blockByHeight(height)
    if (block === undefined)
      throw new StoreError('corrupt', `committed block ${height} is missing from the store`)
    blocks.set(height, block)
  }
  const root = rootEntryFromChain(head.height, chain, (height) => {
    const block = blocks.get(height)
    if (block === undefined) throw new StoreError('corrupt', `block ${height} was not loaded`)
    return block
  })
  if (root.hashHex !== toHex(head.hash))
    throw new StoreError('corrupt', `stored head hash does not match block ${head.height}`)
  return root
}

/** The committed state roots the core needs at boot (see stateRootHeightsAtBoot), read from the store. */
export async function loadBootStateRoots(store: LedgerStore, root: TreeEntry): Promise<Map<number, Hash>> {
  const stateRoots = new Map<number, Hash>()
  for (const height of stateRootHeightsAtBoot(root)) {
    const stateRoot = await store.stateRootAt(height)
    if (stateRoot === undefined)
      throw new StoreError(
        'corrupt',
        `the state root of committed height ${height} is missing from the store`,
      )
    stateRoots.set(height, stateRoot)
  }
  return stateRoots
}
