import { type Genesis, genesisBlock } from '../genesis.js'
import { blockHash } from '../hashing.js'
import type { LedgerStoreOptions } from './ledger-store.js'

/** The chain a ledger store belongs to, from its genesis: what `LedgerStore.open` needs besides a location. */
export function genesisChain(
  genesis: Genesis,
): Pick<LedgerStoreOptions, 'chainId' | 'genesisHash' | 'genesisStateRoot' | 'genesisAccounts'> {
  const { header } = genesisBlock(genesis)
  return {
    chainId: genesis.chainId,
    genesisHash: blockHash(header),
    genesisStateRoot: header.stateRoot,
    genesisAccounts: genesis.accounts.map(({ address, balance }) => ({
      address,
      account: { balance, nonce: 0 },
    })),
  }
}
