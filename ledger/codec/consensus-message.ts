// ConsensusMessage layout: kind u8 (1 proposal, 2 vote, 3 timeout, 4 timeout certificate) | the object's own layout.

import type { ConsensusMessage } from '../types.js'
import { DecodeError, EncodeError } from './errors.js'
import { decodeWith, encodeWith } from './fields.js'
import { readProposal, writeProposal } from './proposal.js'
import type { Reader } from './reader.js'
import { consensusMessageBytesMax } from './sizes.js'
import { readTimeout, writeTimeout } from './timeout.js'
import { readTC, writeTC } from './timeout-certificate.js'
import { readVote, writeVote } from './vote.js'
import type { Writer } from './writer.js'

const consensusMessageKind = { proposal: 1, vote: 2, timeout: 3, timeoutCertificate: 4 } as const

export function writeConsensusMessage(writer: Writer, message: ConsensusMessage): void {
  switch (message.kind) {
    case 'proposal':
      writer.u8(consensusMessageKind.proposal, 'message.kind')
      writeProposal(writer, message.proposal)
      return
    case 'vote':
      writer.u8(consensusMessageKind.vote, 'message.kind')
      writeVote(writer, message.vote)
      return
    case 'timeout':
      writer.u8(consensusMessageKind.timeout, 'message.kind')
      writeTimeout(writer, message.timeout)
      return
    case 'timeout-certificate':
      writer.u8(consensusMessageKind.timeoutCertificate, 'message.kind')
      writeTC(writer, message.tc)
      return
    default:
      throw new EncodeError(`message.kind: unknown kind ${String((message as { kind: unknown }).kind)}`)
  }
}

export function readConsensusMessage(reader: Reader): ConsensusMessage {
  const kind = reader.u8('message.kind')
  switch (kind) {
    case consensusMessageKind.proposal:
      return { kind: 'proposal', proposal: readProposal(reader) }
    case consensusMessageKind.vote:
      return { kind: 'vote', vote: readVote(reader) }
    case consensusMessageKind.timeout:
      return { kind: 'timeout', timeout: readTimeout(reader) }
    case consensusMessageKind.timeoutCertificate:
      return { kind: 'timeout-certificate', tc: readTC(reader) }
    default:
      throw new DecodeError('unknown-kind', `message.kind: ${kind}`)
  }
}

export function encodeConsensusMessage(message: ConsensusMessage): Uint8Array {
  return encodeWith(consensusMessageBytesMax, (writer) => writeConsensusMessage(writer, message), 'message')
}

export function decodeConsensusMessage(bytes: Uint8Array, bytesMax?: number): ConsensusMessage {
  return decodeWith(bytes, consensusMessageBytesMax, bytesMax, readConsensusMessage, 'message')
}
