// Tx layout: version u8 | chainId (u8 length + ASCII) | from (32) | nonce u64 | body | signature (64).
// Body: kind u8 (1 = transfer) | to (32) | amount u64. The unsigned encoding is the same minus the signature.

import type { Tx, TxBody } from '../types.js'
import { DecodeError, EncodeError } from './errors.js'
import {
  decodeWith,
  encodeWith,
  publicKeyBytes,
  readChainId,
  readVersion,
  signatureBytes,
  writeChainId,
  writeVersion,
} from './fields.js'
import type { Reader } from './reader.js'
import { txBytesMax } from './sizes.js'
import type { Writer } from './writer.js'

const txBodyKind = { transfer: 1 } as const

function writeTxBody(writer: Writer, body: TxBody): void {
  switch (body.kind) {
    case 'transfer':
      writer.u8(txBodyKind.transfer, 'tx.body.kind')
      writer.bytes(body.to, publicKeyBytes, 'tx.body.to')
      writer.u64BigInt(body.amount, 'tx.body.amount')
      return
    default:
      throw new EncodeError(`tx.body.kind: unknown kind ${String((body as { kind: unknown }).kind)}`)
  }
}

function readTxBody(reader: Reader): TxBody {
  const kind = reader.u8('tx.body.kind')
  switch (kind) {
    case txBodyKind.transfer: {
      const to = reader.bytes(publicKeyBytes, 'tx.body.to')
      const amount = reader.u64BigInt('tx.body.amount')
      return { kind: 'transfer', to, amount }
    }
    default:
      throw new DecodeError('unknown-kind', `tx.body.kind: ${kind}`)
  }
}

export function writeUnsignedTx(writer: Writer, tx: Tx): void {
  writeVersion(writer)
  writeChainId(writer, tx.chainId)
  writer.bytes(tx.from, publicKeyBytes, 'tx.from')
  writer.u64(tx.nonce, 'tx.nonce')
  writeTxBody(writer, tx.body)
}

export function writeTx(writer: Writer, tx: Tx): void {
  writeUnsignedTx(writer, tx)
  writer.bytes(tx.signature, signatureBytes, 'tx.signature')
}

export function readTx(reader: Reader): Tx {
  readVersion(reader, 'tx')
  const chainId = readChainId(reader)
  const from = reader.bytes(publicKeyBytes, 'tx.from')
  const nonce = reader.u64('tx.nonce')
  const body = readTxBody(reader)
  const signature = reader.bytes(signatureBytes, 'tx.signature')
  return { chainId, from, nonce, body, signature }
}

export function encodeTx(tx: Tx): Uint8Array {
  return encodeWith(txBytesMax, (writer) => writeTx(writer, tx), 'tx')
}

/** The transaction without its signature: what the sender signs (behind the domain tag, see hashing.ts). */
export function encodeUnsignedTx(tx: Tx): Uint8Array {
  return encodeWith(txBytesMax, (writer) => writeUnsignedTx(writer, tx), 'unsigned tx')
}

export function decodeTx(bytes: Uint8Array, bytesMax?: number): Tx {
  return decodeWith(bytes, txBytesMax, bytesMax, readTx, 'tx')
}
