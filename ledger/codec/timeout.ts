// Timeout layout: version u8 | view u64 | highQC (QC layout) | sender u16 | signature (64).

import type { Timeout } from '../types.js'
import {
  decodeWith,
  encodeWith,
  readValidatorIndex,
  readVersion,
  signatureBytes,
  writeValidatorIndex,
  writeVersion,
} from './fields.js'
import { readQC, writeQC } from './quorum-certificate.js'
import type { Reader } from './reader.js'
import { timeoutBytesMax } from './sizes.js'
import type { Writer } from './writer.js'

export function writeTimeout(writer: Writer, timeout: Timeout): void {
  writeVersion(writer)
  writer.u64(timeout.view, 'timeout.view')
  writeQC(writer, timeout.highQC)
  writeValidatorIndex(writer, timeout.sender, 'timeout.sender')
  writer.bytes(timeout.signature, signatureBytes, 'timeout.signature')
}

export function readTimeout(reader: Reader): Timeout {
  readVersion(reader, 'timeout')
  const view = reader.u64('timeout.view')
  const highQC = readQC(reader)
  const sender = readValidatorIndex(reader, 'timeout.sender')
  const signature = reader.bytes(signatureBytes, 'timeout.signature')
  return { view, highQC, sender, signature }
}

export function encodeTimeout(timeout: Timeout): Uint8Array {
  return encodeWith(timeoutBytesMax, (writer) => writeTimeout(writer, timeout), 'timeout')
}

export function decodeTimeout(bytes: Uint8Array, bytesMax?: number): Timeout {
  return decodeWith(bytes, timeoutBytesMax, bytesMax, readTimeout, 'timeout')
}
