export { decodeAccount, encodeAccount } from './account.js'
export {
  decodeBlock,
  decodeBlockHeader,
  encodeBlock,
  encodeBlockHeader,
  readBlock,
  writeBlock,
} from './block.js'
export { decodeConsensusMessage, encodeConsensusMessage } from './consensus-message.js'
export { DecodeError, type DecodeErrorCode, EncodeError } from './errors.js'
export {
  decodeEvidence,
  type EvidenceKey,
  encodeEvidence,
  evidenceBytesMax,
  evidenceKeyOf,
  evidenceKindByte,
  evidenceOffender,
  evidenceProblem,
  readEvidence,
  writeEvidence,
} from './evidence.js'
export { codecVersion, isValidChainId } from './fields.js'
export { decodeProposal, encodeProposal } from './proposal.js'
export { decodeQC, encodeQC, readQC, writeQC } from './quorum-certificate.js'
export { Reader } from './reader.js'
export { decodeReceipt, encodeReceipt } from './receipt.js'
export { decodeSafetyState, encodeSafetyState } from './safety-state.js'
export {
  accountBytesMax,
  blockHeaderBytesMax,
  consensusMessageBytesMax,
  proposalBytesMax,
  qcBytesMax,
  receiptBytesMax,
  receiptLogBytesMax,
  safetyStateBytesMax,
  tcBytesMax,
  timeoutBytesMax,
  voteBytesMax,
} from './sizes.js'
export { decodeTimeout, encodeTimeout } from './timeout.js'
export { decodeTC, encodeTC } from './timeout-certificate.js'
export { decodeTx, encodeTx, encodeUnsignedTx } from './tx.js'
export { decodeVote, encodeVote } from './vote.js'
export { Writer } from './writer.js'
