// Account layout: version u8 | balance u64 | nonce u64.

import type { Account } from '../types.js'
import { decodeWith, encodeWith, readVersion, writeVersion } from './fields.js'
import type { Reader } from './reader.js'
import { accountBytesMax } from './sizes.js'
import type { Writer } from './writer.js'

export function writeAccount(writer: Writer, account: Account): void {
  writeVersion(writer)
  writer.u64BigInt(account.balance, 'account.balance')
  writer.u64(account.nonce, 'account.nonce')
}

export function readAccount(reader: Reader): Account {
  readVersion(reader, 'account')
  const balance = reader.u64BigInt('account.balance')
  const nonce = reader.u64('account.nonce')
  return { balance, nonce }
}

export function encodeAccount(account: Account): Uint8Array {
  return encodeWith(accountBytesMax, (writer) => writeAccount(writer, account), 'account')
}

export function decodeAccount(bytes: Uint8Array, bytesMax?: number): Account {
  return decodeWith(bytes, accountBytesMax, bytesMax, readAccount, 'account')
}
