// Vote layout: version u8 | view u64 | blockHash (32) | voter u16 | signature (64).

import type { Vote } from '../types.js'
import {
  decodeWith,
  encodeWith,
  hashBytes,
  readValidatorIndex,
  readVersion,
  signatureBytes,
  writeValidatorIndex,
  writeVersion,
} from './fields.js'
import type { Reader } from './reader.js'
import { voteBytesMax } from './sizes.js'
import type { Writer } from './writer.js'

export function writeVote(writer: Writer, vote: Vote): void {
  writeVersion(writer)
  writer.u64(vote.view, 'vote.view')
  writer.bytes(vote.blockHash, hashBytes, 'vote.blockHash')
  writeValidatorIndex(writer, vote.voter, 'vote.voter')
  writer.bytes(vote.signature, signatureBytes, 'vote.signature')
}

export function readVote(reader: Reader): Vote {
  readVersion(reader, 'vote')
  const view = reader.u64('vote.view')
  const blockHash = reader.bytes(hashBytes, 'vote.blockHash')
  const voter = readValidatorIndex(reader, 'vote.voter')
  const signature = reader.bytes(signatureBytes, 'vote.signature')
  return { view, blockHash, voter, signature }
}

export function encodeVote(vote: Vote): Uint8Array {
  return encodeWith(voteBytesMax, (writer) => writeVote(writer, vote), 'vote')
}

export function decodeVote(bytes: Uint8Array, bytesMax?: number): Vote {
  return decodeWith(bytes, voteBytesMax, bytesMax, readVote, 'vote')
}
