// The JSON shape of evidence for the JSON-RPC method `evidence` (bytes as lowercase hex, snake_case names as in
// the other methods). Stable: fields may be added, never renamed or removed. Each part carries what its
// signature covers, so a client can check the evidence itself with the offender's consensus key:
//   proposal: signature over proposalSigningBytes(chainId, block_hash); block_hash is the hash of the header;
//   vote:     signature over voteSigningBytes(chainId, view, block_hash);
//   timeout:  signature over timeoutSigningBytes(chainId, view, high_qc.view).

import { toHex } from '../../crypto/hex.js'
import { evidenceKeyOf } from '../../ledger/codec/index.js'
import { blockHash } from '../../ledger/hashing.js'
import { evidenceKeyBytes } from '../../ledger/store/index.js'
import type { EvidenceKind, EvidenceRecord, Proposal, Timeout, Vote } from '../../ledger/types.js'

export interface ProposalPartJson {
  readonly block_hash: string
  readonly height: number
  readonly view: number
  readonly parent_hash: string
  readonly proposer: number
  readonly timestamp_ms: number
  readonly tx_root: string
  readonly state_root: string
  readonly justify: { readonly view: number; readonly block_hash: string }
  readonly tx_count: number
  /** The view of the TC carried with the proposal (not signed), or null. */
  readonly last_view_tc_view: number | null
  readonly signature: string
}

export interface VotePartJson {
  readonly view: number
  readonly block_hash: string
  readonly voter: number
  readonly signature: string
}

export interface TimeoutPartJson {
  readonly view: number
  readonly high_qc: { readonly view: number; readonly block_hash: string }
  readonly sender: number
  readonly signature: string
}

export type EvidencePartJson = ProposalPartJson | VotePartJson | TimeoutPartJson

export interface EvidenceJson {
  /** Hex of the store key (kind u8 ‖ view u64 ‖ offender u16): one id per misbehaviour. */
  readonly id: string
  readonly kind: EvidenceKind
  readonly view: number
  /** Validator index of the validator that signed both parts. */
  readonly offender: number
  readonly first: EvidencePartJson
  readonly second: EvidencePartJson
}

/** The result of the JSON-RPC method `evidence`: one page of the pool (oldest view first) and the pool's size. */
export interface EvidenceRpcResult {
  readonly evidence: readonly EvidenceJson[]
  readonly total: number
}

export function evidenceJson(evidence: EvidenceRecord): EvidenceJson {
  const key = evidenceKeyOf(evidence)
  const parts = partsJson(evidence)
  return {
    id: toHex(evidenceKeyBytes(key)),
    kind: key.kind,
    view: key.view,
    offender: key.offender,
    first: parts[0],
    second: parts[1],
  }
}

function partsJson(evidence: EvidenceRecord): readonly [EvidencePartJson, EvidencePartJson] {
  switch (evidence.kind) {
    case 'double-proposal':
      return [proposalJson(evidence.first), proposalJson(evidence.second)]
    case 'double-vote':
      return [voteJson(evidence.first), voteJson(evidence.second)]
    case 'double-timeout':
      return [timeoutJson(evidence.first), timeoutJson(evidence.second)]
  }
}

function proposalJson(proposal: Proposal): ProposalPartJson {
  const { header, txs } = proposal.block
  return {
    block_hash: toHex(blockHash(header)),
    height: header.height,
    view: header.view,
    parent_hash: toHex(header.parentHash),
    proposer: header.proposer,
    timestamp_ms: header.timestampMs,
    tx_root: toHex(header.txRoot),
    state_root: toHex(header.stateRoot),
    justify: { view: header.justify.view, block_hash: toHex(header.justify.blockHash) },
    tx_count: txs.length,
    last_view_tc_view: proposal.lastViewTC?.view ?? null,
    signature: toHex(proposal.signature),
  }
}

function voteJson(vote: Vote): VotePartJson {
  return {
    view: vote.view,
    block_hash: toHex(vote.blockHash),
    voter: vote.voter,
    signature: toHex(vote.signature),
  }
}

function timeoutJson(timeout: Timeout): TimeoutPartJson {
  return {
    view: timeout.view,
    high_qc: { view: timeout.highQC.view, block_hash: toHex(timeout.highQC.blockHash) },
    sender: timeout.sender,
    signature: toHex(timeout.signature),
  }
}

/**
 * One page of `records` (already in the pool's order) as the JSON-RPC result. `offset` and `limit` must be
 * validated by the caller (non-negative integers, limit at most evidenceRpcPageLengthMax).
 */
export function evidenceRpcResult(
  records: readonly EvidenceRecord[],
  page: { readonly offset: number; readonly limit: number },
): EvidenceRpcResult {
  return {
    evidence: records.slice(page.offset, page.offset + page.limit).map(evidenceJson),
    total: records.length,
  }
}
