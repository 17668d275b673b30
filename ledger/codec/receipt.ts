// Receipt layout: version u8 | txHash (32) | code u8 (a ReceiptCode) | log (u16 length + UTF-8, ≤ 256 bytes).

import { type Receipt, ReceiptCode } from '../types.js'
import { DecodeError, EncodeError } from './errors.js'
import {
  decodeWith,
  encodeWith,
  hashBytes,
  readShortString,
  readVersion,
  writeShortString,
  writeVersion,
} from './fields.js'
import type { Reader } from './reader.js'
import { receiptBytesMax, receiptLogBytesMax } from './sizes.js'
import type { Writer } from './writer.js'

const receiptCodes: ReadonlySet<number> = new Set(Object.values(ReceiptCode))

function isReceiptCode(code: number): code is ReceiptCode {
  return receiptCodes.has(code)
}

export function writeReceipt(writer: Writer, receipt: Receipt): void {
  if (!isReceiptCode(receipt.code))
    throw new EncodeError(`receipt.code: unknown code ${String(receipt.code)}`)
  writeVersion(writer)
  writer.bytes(receipt.txHash, hashBytes, 'receipt.txHash')
  writer.u8(receipt.code, 'receipt.code')
  writeShortString(writer, receipt.log, receiptLogBytesMax, 'receipt.log')
}

export function readReceipt(reader: Reader): Receipt {
  readVersion(reader, 'receipt')
  const txHash = reader.bytes(hashBytes, 'receipt.txHash')
  const code = reader.u8('receipt.code')
  if (!isReceiptCode(code)) throw new DecodeError('invalid-field', `receipt.code: unknown code ${code}`)
  const log = readShortString(reader, receiptLogBytesMax, 'receipt.log')
  return { txHash, code, log }
}

export function encodeReceipt(receipt: Receipt): Uint8Array {
  return encodeWith(receiptBytesMax, (writer) => writeReceipt(writer, receipt), 'receipt')
}

export function decodeReceipt(bytes: Uint8Array, bytesMax?: number): Receipt {
  return decodeWith(bytes, receiptBytesMax, bytesMax, readReceipt, 'receipt')
}
