import { toHex } from '../../crypto/hex.js'
import { orphanBlockCountMax } from '../../ledger/limits.js'
import type { Block, Hash } from '../../ledger/types.js'
import type { StepContext } from './context.js'
import { addBlock } from './proposals.js'

/**
 * Keeps a fetched block whose parent is not in the tree yet (its parent is being fetched). A chain of missing
 * blocks arrives newest first, each naming its parent; without this, each block but the lowest was dropped and
 * a lagging replica gained one block per later proposal. When full, the kept block farthest from the tree (the
 * highest) goes: the lowest ones are the next to connect.
 */
export function keepOrphan(context: StepContext, block: Block, hash: Hash, receivedAtMs: number): void {
  const orphans = new Map(context.state.orphanBlocks)
  orphans.set(toHex(hash), { block, hash, receivedAtMs })
  while (orphans.size > orphanBlockCountMax) {
    let highest: string | undefined
    let highestHeight = -1
    for (const [key, orphan] of orphans) {
      if (orphan.block.header.height > highestHeight)
        [highest, highestHeight] = [key, orphan.block.header.height]
    }
    orphans.delete(highest!)
  }
  context.update({ orphanBlocks: orphans })
}

/** Adds every kept block whose parent is in the tree now (then their children), and drops those committed past. */
export function adoptOrphans(context: StepContext): void {
  for (;;) {
    const { orphanBlocks, tree, rootHashHex } = context.state
    if (orphanBlocks.size === 0) return
    const rootHeight = tree.get(rootHashHex)!.block.header.height
    const stale = [...orphanBlocks].filter(([, orphan]) => orphan.block.header.height <= rootHeight)
    const ready = [...orphanBlocks].find(([, orphan]) => tree.has(toHex(orphan.block.header.parentHash)))
    if (stale.length === 0 && ready === undefined) return
    const kept = new Map(orphanBlocks)
    for (const [key] of stale) kept.delete(key)
    if (ready !== undefined) kept.delete(ready[0])
    context.update({ orphanBlocks: kept })
    if (ready !== undefined && ready[1].block.header.height > rootHeight) {
      const { block, hash, receivedAtMs } = ready[1]
      addBlock(context, block, hash, { checkStateRoot: false, nowMs: receivedAtMs })
    }
  }
}
