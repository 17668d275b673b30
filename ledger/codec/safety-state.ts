// SafetyState layout: version u8 | lastVotedView u64 | preferredView u64 | highQC (QC layout) |
// hasLastTimeout u8 (0/1) | [timeout layout].

import type { SafetyState } from '../types.js'
import { decodeWith, encodeWith, readFlag, readVersion, writeFlag, writeVersion } from './fields.js'
import { readQC, writeQC } from './quorum-certificate.js'
import type { Reader } from './reader.js'
import { safetyStateBytesMax } from './sizes.js'
import { readTimeout, writeTimeout } from './timeout.js'
import type { Writer } from './writer.js'

export function writeSafetyState(writer: Writer, state: SafetyState): void {
  writeVersion(writer)
  writer.u64(state.lastVotedView, 'safety.lastVotedView')
  writer.u64(state.preferredView, 'safety.preferredView')
  writeQC(writer, state.highQC)
  writeFlag(writer, state.lastTimeout !== null, 'safety.hasLastTimeout')
  if (state.lastTimeout !== null) writeTimeout(writer, state.lastTimeout)
}

export function readSafetyState(reader: Reader): SafetyState {
  readVersion(reader, 'safety')
  const lastVotedView = reader.u64('safety.lastVotedView')
  const preferredView = reader.u64('safety.preferredView')
  const highQC = readQC(reader)
  const lastTimeout = readFlag(reader, 'safety.hasLastTimeout') ? readTimeout(reader) : null
  return { lastVotedView, preferredView, highQC, lastTimeout }
}

export function encodeSafetyState(state: SafetyState): Uint8Array {
  return encodeWith(safetyStateBytesMax, (writer) => writeSafetyState(writer, state), 'safety')
}

export function decodeSafetyState(bytes: Uint8Array, bytesMax?: number): SafetyState {
  return decodeWith(bytes, safetyStateBytesMax, bytesMax, readSafetyState, 'safety')
}
