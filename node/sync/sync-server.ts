import { blockHash } from '../../ledger/hashing.js'
import {
  syncFrameBytesMax,
  syncRequestsServedMax,
  syncRequestsServedPerPeerMax,
} from '../../ledger/limits.js'
import type { LedgerStore } from '../../ledger/store/index.js'
import type { Block, Hash, QuorumCertificate } from '../../ledger/types.js'
import type { CertifiedBlock, SyncMessage } from './sync-messages.js'

/** Room left in a reply frame for its own header. */
const replyHeaderBytes = 64

/** What the server reads: committed blocks with their QCs. */
export type ServedStore = Pick<LedgerStore, 'head' | 'blockByHeight' | 'blockByHash' | 'qcForBlock'>

/** The genesis block and its certificate: the head before the first commit. */
export interface CertifiedGenesis {
  readonly block: Block
  readonly qc: QuorumCertificate
}

export type ServeVerdict = 'served' | 'flood' | 'overloaded'

/**
 * Answers sync requests from the store (committed blocks with their QCs, the committed head with its QC) and
 * from the consensus block tree (uncommitted blocks, by hash). Replies stay under the frame limit: a batch is
 * cut short rather than oversized.
 */
export class SyncServer {
  /** Requests being answered, per peer. */
  readonly #serving = new Map<string, number>()
  #servingTotal = 0

  constructor(
    private readonly store: ServedStore,
    private readonly genesis: CertifiedGenesis,
    private readonly treeBlock: (hash: Hash) => Block | undefined,
  ) {}

  /**
   * Answers one peer's request through `reply`. Answering reads the store, so only a few requests are answered
   * at once: from one peer, more than an honest client ever has outstanding is a flood (the peer's fault); over
   * all peers, the rest is dropped as 'overloaded' (nobody's fault: honest clients time out and ask elsewhere).
   */
  async serve(
    peer: string,
    request: SyncMessage,
    reply: (message: SyncMessage) => void,
  ): Promise<ServeVerdict> {
    const servingForPeer = this.#serving.get(peer) ?? 0
    if (servingForPeer >= syncRequestsServedPerPeerMax) return 'flood'
    if (this.#servingTotal >= syncRequestsServedMax) return 'overloaded'
    this.#serving.set(peer, servingForPeer + 1)
    this.#servingTotal++
    try {
      const answer = await this.answer(request)
      if (answer !== undefined) reply(answer)
      return 'served'
    } finally {
      this.#servingTotal--
      const left = (this.#serving.get(peer) ?? 1) - 1
      if (left === 0) this.#serving.delete(peer)
      else this.#serving.set(peer, left)
    }
  }

  async answer(request: SyncMessage): Promise<SyncMessage | undefined> {
    switch (request.kind) {
      case 'get-head':
        return this.#head()
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

  /** The committed head's header with the QC that certifies it: a height anyone can check. */
  async #head(): Promise<SyncMessage | undefined> {
    const head = this.store.head()
    if (head.height === 0) return { kind: 'head', header: this.genesis.block.header, qc: this.genesis.qc }
    // Committed blocks never change, so the two reads agree even if a commit lands between them.
    const block = await this.store.blockByHeight(head.height)
    const qc = await this.store.qcForBlock(head.hash)
    if (block === undefined || qc === undefined) return undefined
    return { kind: 'head', header: block.header, qc }
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
