import { toHex } from '../../crypto/hex.js'
import type { AccountsApp } from '../../ledger/app/index.js'
import { txHash } from '../../ledger/hashing.js'
import type { Hash, Tx } from '../../ledger/types.js'
import { type ConsensusState, pathToRoot } from '../consensus/index.js'
import type { Mempool } from './mempool.js'

/**
 * The leader's batch for a block extending `parentHash`: per sender, the contiguous run of nonces after those
 * already in the uncommitted ancestors, which are skipped.
 */
export function takeBatch(state: ConsensusState, parentHash: Hash, mempool: Mempool, app: AccountsApp): Tx[] {
  const path = pathToRoot(state.tree, toHex(parentHash), state.rootHashHex) ?? []
  const inFlight = new Set<string>()
  const inFlightPerSender = new Map<string, number>()
  for (const entry of path) {
    for (const tx of entry.block.txs) {
      inFlight.add(toHex(txHash(tx)))
      const sender = toHex(tx.from)
      inFlightPerSender.set(sender, (inFlightPerSender.get(sender) ?? 0) + 1)
    }
  }
  const expectedNonce = (sender: Uint8Array) =>
    app.account(sender).nonce + (inFlightPerSender.get(toHex(sender)) ?? 0)
  return mempool.take(state.config.params.blockTxCountMax, expectedNonce, inFlight)
}
