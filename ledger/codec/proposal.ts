// Proposal layout: version u8 | block (block layout) | hasTC u8 (0/1) | [TC layout] | signature (64).

import type { Proposal } from '../types.js'
import { readBlock, writeBlock } from './block.js'
import {
  decodeWith,
  encodeWith,
  readFlag,
  readVersion,
  signatureBytes,
  writeFlag,
  writeVersion,
} from './fields.js'
import type { Reader } from './reader.js'
import { proposalBytesMax } from './sizes.js'
import { readTC, writeTC } from './timeout-certificate.js'
import type { Writer } from './writer.js'

export function writeProposal(writer: Writer, proposal: Proposal): void {
  writeVersion(writer)
  writeBlock(writer, proposal.block)
  writeFlag(writer, proposal.lastViewTC !== null, 'proposal.hasTC')
  if (proposal.lastViewTC !== null) writeTC(writer, proposal.lastViewTC)
  writer.bytes(proposal.signature, signatureBytes, 'proposal.signature')
}

export function readProposal(reader: Reader): Proposal {
  readVersion(reader, 'proposal')
  const block = readBlock(reader)
  const lastViewTC = readFlag(reader, 'proposal.hasTC') ? readTC(reader) : null
  const signature = reader.bytes(signatureBytes, 'proposal.signature')
  return { block, lastViewTC, signature }
}

export function encodeProposal(proposal: Proposal): Uint8Array {
  return encodeWith(proposalBytesMax, (writer) => writeProposal(writer, proposal), 'proposal')
}

export function decodeProposal(bytes: Uint8Array, bytesMax?: number): Proposal {
  return decodeWith(bytes, proposalBytesMax, bytesMax, readProposal, 'proposal')
}
