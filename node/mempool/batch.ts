import { toHex } from '../../crypto/hex.js'
import type { AccountsApp } from '../../ledger/app/index.js'
import { txHash } from '../../ledger/hashing.js'
import type { Hash, Tx } from '../../ledger/types.js'
import { type ConsensusState, pathToRoot } from '../consensus/index.js'
import type { Mempool } from './mempool.js'

/**
 * The leader's batch for a block extending `parentHash`: per sender, the contiguous run of nonces that follows
 * what the uncommitted ancestors will execute (walked oldest first, as execution will), skipping transactions
 * already in those ancestors. The caller makes sure every committed block has executed (the core only asks for
 * a payload then), so `app` is the state at the tree's root.
 */
export function takeBatch(state: ConsensusState, parentHash: Hash, mempool: Mempool, app: AccountsApp): Tx[] {
  const path = pathToRoot(state.tree, toHex(parentHash), state.rootHashHex)
  // Without the parent's ancestry we cannot tell what is in flight: an empty block is always safe.
  if (path === undefined) return []
  const inFlight = new Set<string>()
  const nextNonce = new Map<string, number>()
  for (const entry of path.reverse()) {
    for (const tx of entry.block.txs) {
      inFlight.add(toHex(txHash(tx)))
      const sender = toHex(tx.from)
      const expected = nextNonce.get(sender) ?? app.account(tx.from).nonce
      if (tx.nonce === expected) nextNonce.set(sender, expected + 1)
    }
  }
  const expectedNonce = (sender: Uint8Array) => nextNonce.get(toHex(sender)) ?? app.account(sender).nonce
  return mempool.take(state.config.params.blockTxCountMax, expectedNonce, inFlight)
}
