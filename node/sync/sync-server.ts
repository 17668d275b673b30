import { blockHash } from '../../ledger/hashing.js'
import { syncFrameBytesMax } from '../../ledger/limits.js'
import type { LedgerStore } from '../../ledger/store/index.js'
import type { Block, Hash } from '../../ledger/types.js'
import type { CertifiedBlock, SyncMessage } from './sync-messages.js'

/** Room left in a reply frame for its own header. */
const replyHeaderBytes = 64

/**
 * Answers sync requests from the store (committed blocks with their QCs) and from the consensus block tree
 * (uncommitted blocks, by hash). Replies stay under the frame limit: a batch is cut short rather than oversized.
 */
export class SyncServer {
  constructor(
    private readonly store: LedgerStore,
    private readonly treeBlock: (hash: Hash) => Block | undefined,
  ) {}

  async answer(request: SyncMessage): Promise<SyncMessage | undefined> {
    switch (request.kind) {
      case 'get-head': {
        // The head with the QC that certifies it (genesis is not stored: a node at genesis has none to offer).
        const head = this.store.head()
        const block = await this.store.blockByHash(head.hash)
        const qc = await this.store.qcForBlock(head.hash)
        return block === undefined || qc === undefined
          ? undefined
          : { kind: 'head', header: block.header, qc }
      }
      case 'get-block': {
        const block = this.treeBlock(request.hash) ?? (await this.store.blockByHash(request.hash))
        return block === undefined ? undefined : { kind: 'block', block }
      }
      case 'get-blocks':
        return { kind: 'blocks', fromHeight: request.fromHeight, blocks: await this.#committedRange(request) }
      default:
        return undefined
    }
  }

  async #committedRange(request: { fromHeight: number; count: number }): Promise<CertifiedBlock[]> {
    const blocks: CertifiedBlock[] = []
    const last = Math.min(request.fromHeight + request.count - 1, this.store.head().height)
    let bytes = replyHeaderBytes
    for (let height = Math.max(1, request.fromHeight); height <= last; height++) {
      const block = await this.store.blockByHeight(height)
      const qc = block === undefined ? undefined : await this.store.qcForBlock(blockHash(block.header))
      if (block === undefined || qc === undefined) break
      bytes += estimateBytes(block)
      if (bytes > syncFrameBytesMax) break
      blocks.push({ block, qc })
    }
    return blocks
  }
}

/** An upper bound of a certified block's encoding (a tx is at most 512 bytes, a QC at most 256 × 66). */
function estimateBytes(block: Block): number {
  return 1_024 + block.txs.length * 512 + 256 * 66
}
