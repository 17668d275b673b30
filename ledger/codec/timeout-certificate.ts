// TC layout: version u8 | view u64 | count u16 | count × (signer u16 | highQCView u64 | signature (64)),
// signers strictly increasing and < validatorCountMax.

import { validatorCountMax } from '../limits.js'
import type { Signature, TimeoutCertificate } from '../types.js'
import { EncodeError } from './errors.js'
import {
  checkSignersEncodable,
  decodeWith,
  encodeWith,
  readSignerAfter,
  readVersion,
  signatureBytes,
  writeValidatorIndex,
  writeVersion,
} from './fields.js'
import type { Reader } from './reader.js'
import { tcBytesMax } from './sizes.js'
import type { Writer } from './writer.js'

export function writeTC(writer: Writer, tc: TimeoutCertificate): void {
  checkSignersEncodable(tc.signers, tc.signatures.length, 'tc')
  if (tc.highQCViews.length !== tc.signers.length) {
    throw new EncodeError(`tc: ${tc.signers.length} signers but ${tc.highQCViews.length} highQCViews`)
  }
  writeVersion(writer)
  writer.u64(tc.view, 'tc.view')
  writer.u16(tc.signers.length, 'tc.count')
  for (let i = 0; i < tc.signers.length; i++) {
    writeValidatorIndex(writer, tc.signers[i] as number, 'tc.signer')
    writer.u64(tc.highQCViews[i] as number, 'tc.highQCView')
    writer.bytes(tc.signatures[i] as Signature, signatureBytes, 'tc.signature')
  }
}

export function readTC(reader: Reader): TimeoutCertificate {
  readVersion(reader, 'tc')
  const view = reader.u64('tc.view')
  const count = reader.count('u16', validatorCountMax, 2 + 8 + signatureBytes, 'tc.count')
  const signers: number[] = []
  const highQCViews: number[] = []
  const signatures: Signature[] = []
  let previous = -1
  for (let i = 0; i < count; i++) {
    previous = readSignerAfter(reader, previous, 'tc.signer')
    signers.push(previous)
    highQCViews.push(reader.u64('tc.highQCView'))
    signatures.push(reader.bytes(signatureBytes, 'tc.signature'))
  }
  return { view, signers, highQCViews, signatures }
}

export function encodeTC(tc: TimeoutCertificate): Uint8Array {
  return encodeWith(tcBytesMax, (writer) => writeTC(writer, tc), 'tc')
}

export function decodeTC(bytes: Uint8Array, bytesMax?: number): TimeoutCertificate {
  return decodeWith(bytes, tcBytesMax, bytesMax, readTC, 'tc')
}
