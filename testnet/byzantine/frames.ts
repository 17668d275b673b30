// Raw frames on the validator's protocols, for fixtures that speak more than consensus: building them for one
// recipient, and reading what peers (or our own honest code) put on the wire. A fixture never throws on a peer's
// bad bytes: the readers return undefined for anything that does not decode.

import {
  DecodeError,
  decodeConsensusMessage,
  decodeTx,
  encodeConsensusMessage,
  encodeTx,
} from '../../ledger/codec/index.js'
import type { ConsensusMessage, EvidenceRecord, Tx } from '../../ledger/types.js'
import { decodeEvidenceGossip, encodeEvidenceGossip } from '../../node/evidence/evidence-gossip.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from '../../node/sync/sync-messages.js'
import type { RawFrame } from './types.js'

export type { RawFrame }

export function consensusFrame(to: number, message: ConsensusMessage, delayMs = 0): RawFrame {
  return withDelay({ to, protocol: 'consensus', frame: encodeConsensusMessage(message) }, delayMs)
}

export function syncFrame(to: number, message: SyncMessage, delayMs = 0): RawFrame {
  return withDelay({ to, protocol: 'sync', frame: encodeSyncMessage(message) }, delayMs)
}

export function txFrame(to: number, tx: Tx): RawFrame {
  return { to, protocol: 'tx', frame: encodeTx(tx) }
}

export function evidenceFrame(to: number, evidence: EvidenceRecord): RawFrame {
  return { to, protocol: 'evidence', frame: encodeEvidenceGossip(evidence) }
}

function withDelay(frame: RawFrame, delayMs: number): RawFrame {
  return delayMs > 0 ? { ...frame, delayMs } : frame
}

/** `decode(bytes)`, or undefined when the bytes do not decode (any other error is a bug and is thrown). */
function tryDecode<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array): T | undefined {
  try {
    return decode(bytes)
  } catch (error) {
    if (error instanceof DecodeError) return undefined
    throw error
  }
}

export const readConsensusFrame = (bytes: Uint8Array): ConsensusMessage | undefined =>
  tryDecode(decodeConsensusMessage, bytes)
export const readSyncFrame = (bytes: Uint8Array): SyncMessage | undefined =>
  tryDecode(decodeSyncMessage, bytes)
export const readTxFrame = (bytes: Uint8Array): Tx | undefined => tryDecode(decodeTx, bytes)
export const readEvidenceFrame = (bytes: Uint8Array): EvidenceRecord | undefined =>
  tryDecode(decodeEvidenceGossip, bytes)
