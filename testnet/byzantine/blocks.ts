// Blocks a fixture makes up: any header fields it chooses, with the txRoot that matches the transactions, so the
// block is well formed and only what the fixture meant to break is broken.

import { txRoot } from '../../ledger/hashing.js'
import type { Block, BlockHeader, Tx } from '../../ledger/types.js'

export function blockWith(header: Omit<BlockHeader, 'txRoot'>, txs: readonly Tx[] = []): Block {
  return { header: { ...header, txRoot: txRoot(txs) }, txs }
}
