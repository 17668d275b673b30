import { fromHex, toHex } from '../crypto/hex.js'
import type { AccountsApp } from '../ledger/app/index.js'
import { txHash } from '../ledger/hashing.js'
import type { LedgerStore } from '../ledger/store/index.js'
import type { Hash } from '../ledger/types.js'
import type { CommittedBlock } from './consensus/index.js'
import type { Mempool } from './mempool/mempool.js'
import type { NodeMetrics } from './metrics.js'

/**
 * Executes a committed block and writes it in one atomic, synced batch: the one commit path, used by consensus
 * and by block sync alike. Returns the state root after the block.
 */
export class BlockCommitter {
  constructor(
    private readonly store: LedgerStore,
    private readonly app: AccountsApp,
    private readonly mempool: Mempool,
    private readonly metrics: NodeMetrics,
    private readonly onCommitted: (committed: CommittedBlock) => void,
  ) {}

  async commit(committed: CommittedBlock): Promise<Hash> {
    const { block, hash, qc } = committed
    const alreadyCommitted = new Set<string>()
    for (const tx of block.txs) {
      const hashOfTx = txHash(tx)
      if (await this.store.hasTx(hashOfTx)) alreadyCommitted.add(toHex(hashOfTx))
    }
    const execution = this.app.executeBlock(block.txs, (hashOfTx) => alreadyCommitted.has(toHex(hashOfTx)))
    await this.store.commitBlock({
      block,
      hash,
      qc,
      receipts: execution.receipts,
      accounts: execution.changed,
      stateRoot: execution.stateRoot,
    })
    // The block's own transactions left the journal in the commit batch; the ones it made stale leave now.
    for (const receipt of execution.receipts) this.mempool.remove(toHex(receipt.txHash))
    const stale = execution.changed.flatMap(({ address, account }) =>
      this.mempool.pruneStale(address, account),
    )
    await this.store.deleteMempoolTxs(stale.map(fromHex))
    this.metrics.committedHeight.set(block.header.height)
    this.metrics.committedTxs.inc(block.txs.length)
    this.metrics.mempoolTxs.set(this.mempool.size)
    this.onCommitted(committed)
    return execution.stateRoot
  }
}
