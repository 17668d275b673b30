import {
  DecodeError,
  decodeBlock,
  decodeBlockHeader,
  encodeBlock,
  encodeBlockHeader,
  Reader,
  readBlock,
  readQC,
  Writer,
  writeBlock,
  writeQC,
} from '../../ledger/codec/index.js'
import { syncBatchBlockCountMax, syncFrameBytesMax } from '../../ledger/limits.js'
import type { Block, BlockHeader, Hash, QuorumCertificate } from '../../ledger/types.js'

/** A committed block with the QC that certifies it. */
export interface CertifiedBlock {
  readonly block: Block
  readonly qc: QuorumCertificate
}

/**
 * Frames of /quorate/sync/1.0.0. Requests and replies are separate frames on one-way streams; a reply names
 * what it answers (the hash, or the first height), so unsolicited or stale replies are recognised and dropped.
 * A head is the peer's committed head block's header with the QC that certifies it (the genesis header with
 * the genesis QC before the first commit): its height is then proven, not claimed.
 */
export type SyncMessage =
  | { readonly kind: 'get-block'; readonly hash: Hash }
  | { readonly kind: 'block'; readonly block: Block }
  | { readonly kind: 'get-head' }
  | { readonly kind: 'head'; readonly header: BlockHeader; readonly qc: QuorumCertificate }
  | { readonly kind: 'get-blocks'; readonly fromHeight: number; readonly count: number }
  | { readonly kind: 'blocks'; readonly fromHeight: number; readonly blocks: readonly CertifiedBlock[] }

const version = 1
const kinds = { 'get-block': 1, block: 2, 'get-head': 3, head: 4, 'get-blocks': 5, blocks: 6 } as const
/** A certified block is at least a block header and a QC: a safe lower bound for the count check. */
const certifiedBlockBytesMin = 64

export function encodeSyncMessage(message: SyncMessage): Uint8Array {
  const writer = new Writer(64).u8(version).u8(kinds[message.kind])
  switch (message.kind) {
    case 'get-block':
      return writer.bytes(message.hash, 32).finish()
    case 'block':
      return writer.bytes(encodeBlock(message.block)).finish()
    case 'get-head':
      return writer.finish()
    case 'head':
      // The QC first, then the header as the rest of the frame.
      writeQC(writer, message.qc)
      return writer.bytes(encodeBlockHeader(message.header)).finish()
    case 'get-blocks':
      return writer.u64(message.fromHeight).u16(message.count).finish()
    case 'blocks':
      writer.u64(message.fromHeight).u16(message.blocks.length)
      for (const { block, qc } of message.blocks) {
        writeBlock(writer, block)
        writeQC(writer, qc)
      }
      return writer.finish()
  }
}

/** Strict: every malformed, truncated, oversized or trailing input throws DecodeError. */
export function decodeSyncMessage(bytes: Uint8Array): SyncMessage {
  if (bytes.length > syncFrameBytesMax) throw new DecodeError('too-large', 'sync frame too large')
  const reader = new Reader(bytes)
  if (reader.u8('sync.version') !== version)
    throw new DecodeError('unknown-version', 'unknown sync message version')
  const kind = reader.u8('sync.kind')
  switch (kind) {
    case kinds['get-block']: {
      const hash = reader.bytes(32, 'sync.hash')
      reader.end()
      return { kind: 'get-block', hash }
    }
    case kinds.block:
      return { kind: 'block', block: decodeBlock(bytes.subarray(2)) }
    case kinds['get-head']:
      reader.end()
      return { kind: 'get-head' }
    case kinds.head: {
      const qc = readQC(reader)
      return { kind: 'head', header: decodeBlockHeader(bytes.subarray(reader.offset)), qc }
    }
    case kinds['get-blocks']: {
      const fromHeight = reader.u64('sync.fromHeight')
      const count = reader.u16('sync.count')
      reader.end()
      if (count === 0 || count > syncBatchBlockCountMax) {
        throw new DecodeError('invalid-field', `sync.count: ${count} not in 1..${syncBatchBlockCountMax}`)
      }
      return { kind: 'get-blocks', fromHeight, count }
    }
    case kinds.blocks: {
      const fromHeight = reader.u64('sync.fromHeight')
      const count = reader.count('u16', syncBatchBlockCountMax, certifiedBlockBytesMin, 'sync.blocks')
      const blocks: CertifiedBlock[] = []
      for (let i = 0; i < count; i++) blocks.push({ block: readBlock(reader), qc: readQC(reader) })
      reader.end()
      return { kind: 'blocks', fromHeight, blocks }
    }
    default:
      throw new DecodeError('unknown-kind', `unknown sync message kind ${kind}`)
  }
}
