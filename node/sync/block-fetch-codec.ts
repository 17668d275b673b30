import { DecodeError, decodeBlock, encodeBlock, Reader, Writer } from '../../ledger/codec/index.js'
import { syncFrameBytesMax } from '../../ledger/limits.js'
import type { Block, Hash } from '../../ledger/types.js'

/** Frames of /quorate/sync/1.0.0: a request for a block by hash, and the block in reply. */
export type SyncMessage =
  | { readonly kind: 'get-block'; readonly hash: Hash }
  | { readonly kind: 'block'; readonly block: Block }

const version = 1
const kindGetBlock = 1
const kindBlock = 2

export function encodeSyncMessage(message: SyncMessage): Uint8Array {
  const writer = new Writer(64).u8(version)
  if (message.kind === 'get-block') return writer.u8(kindGetBlock).bytes(message.hash, 32).finish()
  return writer.u8(kindBlock).bytes(encodeBlock(message.block)).finish()
}

export function decodeSyncMessage(bytes: Uint8Array): SyncMessage {
  if (bytes.length > syncFrameBytesMax) throw new DecodeError('too-large', 'sync frame too large')
  const reader = new Reader(bytes)
  if (reader.u8() !== version) throw new DecodeError('unknown-version', 'unknown sync message version')
  const kind = reader.u8()
  if (kind === kindGetBlock) {
    const hash = reader.bytes(32)
    reader.end()
    return { kind: 'get-block', hash }
  }
  if (kind === kindBlock) return { kind: 'block', block: decodeBlock(bytes.subarray(2)) }
  throw new DecodeError('unknown-kind', `unknown sync message kind ${kind}`)
}
