import { taggedHash } from '../../crypto/hash.js'
import { encodeAccount } from '../codec/index.js'
import type { Account } from '../types.js'

export const accountLeafTag = 'quorate/v1/account'

/** The state-root leaf of one account: the address and its canonical account encoding, domain-tagged. */
export function accountLeaf(address: Uint8Array, account: Account): Uint8Array {
  return taggedHash(accountLeafTag, address, encodeAccount(account))
}

/** Accounts that never held a balance nor sent a transaction are not part of the state. */
export function isAccountEmpty(account: Account): boolean {
  return account.balance === 0n && account.nonce === 0
}
