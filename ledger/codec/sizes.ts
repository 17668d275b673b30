// The largest encoding of each object, derived from its layout and ledger/limits.ts. Decoders reject longer
// input before parsing; framed protocols (sync) can use these as their per-object bounds.

import { blockBytesMax, consensusFrameBytesMax, txBytesMax, validatorCountMax } from '../limits.js'
import { hashBytes, signatureBytes } from './fields.js'

const versionBytes = 1
const u16Bytes = 2
const u64Bytes = 8

export const qcBytesMax =
  versionBytes + u64Bytes + hashBytes + u16Bytes + validatorCountMax * (u16Bytes + signatureBytes)
export const tcBytesMax =
  versionBytes + u64Bytes + u16Bytes + validatorCountMax * (u16Bytes + u64Bytes + signatureBytes)
export const voteBytesMax = versionBytes + u64Bytes + hashBytes + u16Bytes + signatureBytes
export const timeoutBytesMax = versionBytes + u64Bytes + qcBytesMax + u16Bytes + signatureBytes
export const blockHeaderBytesMax =
  versionBytes + 2 * u64Bytes + hashBytes + qcBytesMax + u16Bytes + u64Bytes + 2 * hashBytes
export const safetyStateBytesMax = versionBytes + 2 * u64Bytes + qcBytesMax + 1 + timeoutBytesMax
export const accountBytesMax = versionBytes + 2 * u64Bytes
export const receiptLogBytesMax = 256
export const receiptBytesMax = versionBytes + hashBytes + 1 + u16Bytes + receiptLogBytesMax
export { blockBytesMax, txBytesMax }
/** A proposal travels alone in a consensus frame (after its kind byte). */
export const proposalBytesMax = consensusFrameBytesMax - 1
export const consensusMessageBytesMax = consensusFrameBytesMax
