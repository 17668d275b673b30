// Header layout: version u8 | height u64 | view u64 | parentHash (32) | justify (QC layout) | proposer u16 |
// timestampMs u64 | txRoot (32) | stateRoot (32).
// Block layout: version u8 | header (header layout) | count u32 | count × tx (tx layout).
// Nested objects keep their own version byte, so the header bytes inside a block are exactly
// encodeBlockHeader(header) and each tx's bytes are exactly encodeTx(tx).

import { blockTxCountMax } from '../limits.js'
import type { Block, BlockHeader, Tx } from '../types.js'
import { EncodeError } from './errors.js'
import {
  decodeWith,
  encodeWith,
  hashBytes,
  readValidatorIndex,
  readVersion,
  writeValidatorIndex,
  writeVersion,
} from './fields.js'
import { readQC, writeQC } from './quorum-certificate.js'
import type { Reader } from './reader.js'
import { blockBytesMax, blockHeaderBytesMax } from './sizes.js'
import { readTx, writeTx } from './tx.js'
import type { Writer } from './writer.js'

/** The smallest tx: version, 1-byte chainId, from, nonce, transfer body, signature. */
const txBytesMin = 1 + 2 + 32 + 8 + (1 + 32 + 8) + 64

export function writeBlockHeader(writer: Writer, header: BlockHeader): void {
  writeVersion(writer)
  writer.u64(header.height, 'header.height')
  writer.u64(header.view, 'header.view')
  writer.bytes(header.parentHash, hashBytes, 'header.parentHash')
  writeQC(writer, header.justify)
  writeValidatorIndex(writer, header.proposer, 'header.proposer')
  writer.u64(header.timestampMs, 'header.timestampMs')
  writer.bytes(header.txRoot, hashBytes, 'header.txRoot')
  writer.bytes(header.stateRoot, hashBytes, 'header.stateRoot')
}

export function readBlockHeader(reader: Reader): BlockHeader {
  readVersion(reader, 'header')
  const height = reader.u64('header.height')
  const view = reader.u64('header.view')
  const parentHash = reader.bytes(hashBytes, 'header.parentHash')
  const justify = readQC(reader)
  const proposer = readValidatorIndex(reader, 'header.proposer')
  const timestampMs = reader.u64('header.timestampMs')
  const txRoot = reader.bytes(hashBytes, 'header.txRoot')
  const stateRoot = reader.bytes(hashBytes, 'header.stateRoot')
  return { height, view, parentHash, justify, proposer, timestampMs, txRoot, stateRoot }
}

export function writeBlock(writer: Writer, block: Block): void {
  if (!Array.isArray(block.txs) || block.txs.length > blockTxCountMax) {
    throw new EncodeError(`block.txs: expected at most ${blockTxCountMax} txs`)
  }
  writeVersion(writer)
  writeBlockHeader(writer, block.header)
  writer.u32(block.txs.length, 'block.txs.count')
  for (const tx of block.txs) writeTx(writer, tx)
}

export function readBlock(reader: Reader): Block {
  readVersion(reader, 'block')
  const header = readBlockHeader(reader)
  const count = reader.count('u32', blockTxCountMax, txBytesMin, 'block.txs.count')
  const txs: Tx[] = []
  for (let i = 0; i < count; i++) txs.push(readTx(reader))
  return { header, txs }
}

export function encodeBlockHeader(header: BlockHeader): Uint8Array {
  return encodeWith(blockHeaderBytesMax, (writer) => writeBlockHeader(writer, header), 'header')
}

export function decodeBlockHeader(bytes: Uint8Array, bytesMax?: number): BlockHeader {
  return decodeWith(bytes, blockHeaderBytesMax, bytesMax, readBlockHeader, 'header')
}

export function encodeBlock(block: Block): Uint8Array {
  return encodeWith(blockBytesMax, (writer) => writeBlock(writer, block), 'block')
}

export function decodeBlock(bytes: Uint8Array, bytesMax?: number): Block {
  return decodeWith(bytes, blockBytesMax, bytesMax, readBlock, 'block')
}
