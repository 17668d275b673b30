// The chain the seconds-long microbenchmarks (admission-micro.ts, floor-micro.ts) work on: funded senders with
// deterministic keys, a real LedgerStore in a directory, and blocks of transfers executed and committed
// through the store's one commit path (no consensus: the store does not check signatures or certificates).

import { type KeyPair, keyPairFromSecret } from '../../crypto/index.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { blockHash } from '../../ledger/hashing.js'
import { LedgerStore } from '../../ledger/store/index.js'
import type { Hash, Tx } from '../../ledger/types.js'
import { plainBlock } from '../support/reference-chain.js'

export const senderBalance = 1_000_000_000n

export function senderKeyPairs(count: number): KeyPair[] {
  return Array.from({ length: count }, (_, index) => {
    const secret = new Uint8Array(32)
    new DataView(secret.buffer).setUint32(0, index + 1)
    return keyPairFromSecret(secret)
  })
}

export interface MicroChain {
  readonly store: LedgerStore
  readonly app: AccountsApp
  /** The committed head's hash: the parent of the next block. */
  head: Hash
  height: number
}

/** A fresh store in `dir` whose genesis funds every sender. */
export async function openMicroChain(
  dir: string,
  chainId: string,
  senders: readonly KeyPair[],
): Promise<MicroChain> {
  const genesisAccounts = senders.map(({ publicKey }) => ({
    address: publicKey,
    account: { balance: senderBalance, nonce: 0 },
  }))
  const app = AccountsApp.fromAccounts(genesisAccounts)
  const genesisHash = new Uint8Array(32).fill(1)
  const store = await LedgerStore.open({
    dir,
    chainId,
    genesisHash,
    genesisStateRoot: app.stateRoot(),
    genesisAccounts,
  })
  return { store, app, head: genesisHash, height: 0 }
}

/** Executes and commits `txs` in blocks of `blockTxCount` (a last short block included), in order. */
export async function commitInBlocks(
  chain: MicroChain,
  txs: readonly Tx[],
  blockTxCount: number,
): Promise<void> {
  for (let start = 0; start < txs.length; start += blockTxCount) {
    const blockTxs = txs.slice(start, start + blockTxCount)
    const height = chain.height + 1
    const execution = chain.app.execute(blockTxs, () => false)
    const block = plainBlock(height, chain.head, blockTxs, execution.stateRoot)
    const hash = blockHash(block.header)
    await chain.store.commitBlock({
      block,
      hash,
      qc: { view: height, blockHash: hash, signers: [], signatures: [] },
      receipts: execution.receipts,
      accounts: execution.changed,
      stateRoot: execution.stateRoot,
    })
    chain.app.apply(execution)
    chain.head = hash
    chain.height = height
  }
}
