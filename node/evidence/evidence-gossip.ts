// Frames of the evidence gossip protocol (constants.ts: evidenceProtocol):
//   kind u8 (1 = evidence) | evidence layout (ledger/codec/evidence.ts).
// The kind byte leaves room for other frames (e.g. an inventory exchange on connect) without a new protocol.

import { DecodeError, decodeEvidence, encodeEvidence } from '../../ledger/codec/index.js'
import type { EvidenceRecord } from '../../ledger/types.js'
import { evidenceGossipFrameBytesMax } from './constants.js'

const evidenceGossipKind = { evidence: 1 } as const

export function encodeEvidenceGossip(evidence: EvidenceRecord): Uint8Array {
  const body = encodeEvidence(evidence)
  const frame = new Uint8Array(1 + body.length)
  frame[0] = evidenceGossipKind.evidence
  frame.set(body, 1)
  return frame
}

/** Strict: an oversized, unknown, malformed, truncated or padded frame throws DecodeError (and nothing else). */
export function decodeEvidenceGossip(frame: Uint8Array): EvidenceRecord {
  if (!(frame instanceof Uint8Array)) throw new DecodeError('invalid-field', 'evidence frame: not bytes')
  if (frame.length > evidenceGossipFrameBytesMax) {
    throw new DecodeError(
      'too-large',
      `evidence frame: ${frame.length} bytes, max ${evidenceGossipFrameBytesMax}`,
    )
  }
  if (frame.length === 0) throw new DecodeError('truncated', 'evidence frame: empty')
  const kind = frame[0]
  if (kind !== evidenceGossipKind.evidence)
    throw new DecodeError('unknown-kind', `evidence frame kind ${kind}`)
  return decodeEvidence(frame.subarray(1))
}
