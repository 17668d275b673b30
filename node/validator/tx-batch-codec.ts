// Frames of the tx-batch gossip protocol (node/protocols.ts: '/quorate/tx-batch/1.0.0'):
//   version u8 (1) | count u16 (1..txBatchTxCountMax) | count × ( length u16 (1..txBytesMax) | tx bytes )
// all big-endian, the whole frame at most txBatchFrameBytesMax bytes. The transactions are opaque here: each goes
// through admission on its own (size, decode, chain, signature, nonce, dedup), exactly as a single one would.
// One list has one encoding: no empty batch, no empty entry, no padding.

import { DecodeError, type DecodeErrorCode, EncodeError } from '../../ledger/codec/index.js'
import { txBytesMax } from '../../ledger/limits.js'

export const txBatchVersion = 1
/** Transactions one frame carries at most. */
export const txBatchTxCountMax = 128
/**
 * A whole frame, header included: 64 KiB. It holds txBatchTxCountMax transfers (about 165 bytes each with their
 * prefix) and 127 transactions of the largest size, so the count binds in practice and the bytes bound for big txs.
 */
export const txBatchFrameBytesMax = 65_536
/** Version and count. */
export const txBatchHeaderBytes = 3
/** The length prefix in front of each transaction. */
export const txBatchEntryPrefixBytes = 2

/** Why a frame is not a tx batch: each is input that no honest peer sends. */
export type TxBatchRejection =
  | 'too-many-bytes'
  | 'unknown-version'
  | 'truncated'
  | 'no-txs'
  | 'too-many-txs'
  | 'bad-tx-length'
  | 'trailing-bytes'

const decodeCodeOf: Readonly<Record<TxBatchRejection, DecodeErrorCode>> = {
  'too-many-bytes': 'too-large',
  'unknown-version': 'unknown-version',
  truncated: 'truncated',
  'no-txs': 'invalid-field',
  'too-many-txs': 'too-large',
  'bad-tx-length': 'invalid-field',
  'trailing-bytes': 'trailing-bytes',
}

/** The only error `decodeTxBatch` throws: a DecodeError that also names the batch-level reason. */
export class TxBatchDecodeError extends DecodeError {
  static override name = 'TxBatchDecodeError'
  override name = 'TxBatchDecodeError'
  readonly reason: TxBatchRejection

  constructor(reason: TxBatchRejection, message: string) {
    super(decodeCodeOf[reason], `tx batch: ${message}`)
    this.reason = reason
  }
}

/** Bytes a transaction adds to a batch frame. */
export function txBatchEntryBytes(tx: Uint8Array): number {
  return txBatchEntryPrefixBytes + tx.length
}

/** One frame carrying `txs` in order. Our own values: a list no decoder would accept is an EncodeError (a bug). */
export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  if (txs.length === 0 || txs.length > txBatchTxCountMax) {
    throw new EncodeError(`tx batch: ${txs.length} transactions, expected 1..${txBatchTxCountMax}`)
  }
  let frameBytes = txBatchHeaderBytes
  for (const tx of txs) {
    if (!(tx instanceof Uint8Array) || tx.length === 0 || tx.length > txBytesMax) {
      throw new EncodeError(
        `tx batch: a transaction of ${String(tx?.length)} bytes, expected 1..${txBytesMax}`,
      )
    }
    frameBytes += txBatchEntryBytes(tx)
  }
  if (frameBytes > txBatchFrameBytesMax) {
    throw new EncodeError(`tx batch: ${frameBytes} bytes, max ${txBatchFrameBytesMax}`)
  }
  const frame = new Uint8Array(frameBytes)
  const view = new DataView(frame.buffer)
  view.setUint8(0, txBatchVersion)
  view.setUint16(1, txs.length)
  let offset = txBatchHeaderBytes
  for (const tx of txs) {
    view.setUint16(offset, tx.length)
    frame.set(tx, offset + txBatchEntryPrefixBytes)
    offset += txBatchEntryBytes(tx)
  }
  return frame
}

/**
 * The transactions of a frame from a peer, each a copy (never an alias of the frame). The bounds come first: the
 * frame's size, then the version, then the count against both its maximum and the bytes left, all before the
 * list is allocated; then each length prefix before its bytes are read. Throws TxBatchDecodeError and nothing
 * else.
 */
export function decodeTxBatch(frame: Uint8Array): Uint8Array[] {
  if (!(frame instanceof Uint8Array)) throw new TxBatchDecodeError('truncated', 'not bytes')
  if (frame.length > txBatchFrameBytesMax) {
    throw new TxBatchDecodeError('too-many-bytes', `${frame.length} bytes, max ${txBatchFrameBytesMax}`)
  }
  if (frame.length < txBatchHeaderBytes) {
    throw new TxBatchDecodeError('truncated', `${frame.length} bytes, shorter than its header`)
  }
  // A plain Uint8Array view, even over a Buffer (whose slice would alias the frame instead of copying).
  const bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const version = view.getUint8(0)
  if (version !== txBatchVersion) throw new TxBatchDecodeError('unknown-version', `version ${version}`)
  const count = view.getUint16(1)
  if (count === 0) throw new TxBatchDecodeError('no-txs', 'an empty batch')
  if (count > txBatchTxCountMax) {
    throw new TxBatchDecodeError('too-many-txs', `${count} transactions, max ${txBatchTxCountMax}`)
  }
  const entryBytesMin = txBatchEntryPrefixBytes + 1
  if (count * entryBytesMin > frame.length - txBatchHeaderBytes) {
    throw new TxBatchDecodeError('truncated', `${count} transactions cannot fit in ${frame.length} bytes`)
  }
  const txs = new Array<Uint8Array>(count)
  let offset = txBatchHeaderBytes
  for (let i = 0; i < count; i++) {
    if (offset + txBatchEntryPrefixBytes > frame.length) {
      throw new TxBatchDecodeError('truncated', `transaction ${i}: no length prefix`)
    }
    const length = view.getUint16(offset)
    if (length === 0 || length > txBytesMax) {
      throw new TxBatchDecodeError(
        'bad-tx-length',
        `transaction ${i}: ${length} bytes, expected 1..${txBytesMax}`,
      )
    }
    offset += txBatchEntryPrefixBytes
    if (offset + length > frame.length) {
      throw new TxBatchDecodeError(
        'truncated',
        `transaction ${i}: ${length} bytes, ${frame.length - offset} left`,
      )
    }
    txs[i] = bytes.slice(offset, offset + length)
    offset += length
  }
  if (offset !== frame.length) {
    throw new TxBatchDecodeError(
      'trailing-bytes',
      `${frame.length - offset} bytes after the last transaction`,
    )
  }
  return txs
}
