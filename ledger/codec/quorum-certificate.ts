// QC layout: version u8 | view u64 | blockHash (32) | count u16 | count × (signer u16 | signature (64)),
// signers strictly increasing and < validatorCountMax. Whether the signers reach a quorum of a given
// validator set, and whether the signatures verify, is for consensus to check, not the codec.

import { validatorCountMax } from '../limits.js'
import type { QuorumCertificate, Signature } from '../types.js'
import {
  checkSignersEncodable,
  decodeWith,
  encodeWith,
  hashBytes,
  readSignerAfter,
  readVersion,
  signatureBytes,
  writeValidatorIndex,
  writeVersion,
} from './fields.js'
import type { Reader } from './reader.js'
import { qcBytesMax } from './sizes.js'
import type { Writer } from './writer.js'

export function writeQC(writer: Writer, qc: QuorumCertificate): void {
  checkSignersEncodable(qc.signers, qc.signatures.length, 'qc')
  writeVersion(writer)
  writer.u64(qc.view, 'qc.view')
  writer.bytes(qc.blockHash, hashBytes, 'qc.blockHash')
  writer.u16(qc.signers.length, 'qc.count')
  for (let i = 0; i < qc.signers.length; i++) {
    writeValidatorIndex(writer, qc.signers[i] as number, 'qc.signer')
    writer.bytes(qc.signatures[i] as Signature, signatureBytes, 'qc.signature')
  }
}

export function readQC(reader: Reader): QuorumCertificate {
  readVersion(reader, 'qc')
  const view = reader.u64('qc.view')
  const blockHash = reader.bytes(hashBytes, 'qc.blockHash')
  const count = reader.count('u16', validatorCountMax, 2 + signatureBytes, 'qc.count')
  const signers: number[] = []
  const signatures: Signature[] = []
  let previous = -1
  for (let i = 0; i < count; i++) {
    previous = readSignerAfter(reader, previous, 'qc.signer')
    signers.push(previous)
    signatures.push(reader.bytes(signatureBytes, 'qc.signature'))
  }
  return { view, blockHash, signers, signatures }
}

export function encodeQC(qc: QuorumCertificate): Uint8Array {
  return encodeWith(qcBytesMax, (writer) => writeQC(writer, qc), 'qc')
}

export function decodeQC(bytes: Uint8Array, bytesMax?: number): QuorumCertificate {
  return decodeWith(bytes, qcBytesMax, bytesMax, readQC, 'qc')
}
