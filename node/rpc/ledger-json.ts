// The JSON shapes of ledger data in JSON-RPC results: snake_case names, bytes as lowercase hex, amounts as decimal
// strings. Stable: fields may be added, never renamed or removed (docs/rpc.md shows every shape).

import { toHex } from '../../crypto/hex.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import type { Block, BlockHeader, QuorumCertificate, Tx } from '../../ledger/types.js'

/** A block's header with its hash (the `block`, `blockchain` and `commit` methods share it). */
export function headerJson(header: BlockHeader, hash: Uint8Array) {
  return {
    hash: toHex(hash),
    height: header.height,
    view: header.view,
    parent_hash: toHex(header.parentHash),
    proposer: header.proposer,
    timestamp_ms: header.timestampMs,
    tx_root: toHex(header.txRoot),
    state_root: toHex(header.stateRoot),
    justify: {
      view: header.justify.view,
      block_hash: toHex(header.justify.blockHash),
      signers: header.justify.signers,
    },
  }
}

export function blockJson(block: Block, hash: Uint8Array) {
  return {
    ...headerJson(block.header, hash),
    txs: block.txs.map((tx) => ({
      hash: toHex(txHash(tx)),
      from: toHex(tx.from),
      nonce: tx.nonce,
      to: toHex(tx.body.to),
      amount: tx.body.amount.toString(),
    })),
  }
}

/** What `blockchain` lists: the header and the transaction count, without the transactions. */
export function blockMetaJson(block: Block, hash: Uint8Array) {
  return { ...headerJson(block.header, hash), num_txs: block.txs.length }
}

/** Every field of a signed transaction, decoded. */
export function decodedTxJson(tx: Tx) {
  return {
    chain_id: tx.chainId,
    from: toHex(tx.from),
    nonce: tx.nonce,
    kind: tx.body.kind,
    to: toHex(tx.body.to),
    amount: tx.body.amount.toString(),
    signature: toHex(tx.signature),
  }
}

/** A transaction as a client sent it (`tx`, the hex broadcast_tx_* take) and decoded. */
export function txJson(tx: Tx) {
  return { hash: toHex(txHash(tx)), tx: toHex(encodeTx(tx)), decoded: decodedTxJson(tx) }
}

/**
 * A QC with its signatures: each is validator `signers[i]`'s Ed25519 signature over
 * voteSigningBytes(chainId, view, block_hash), checkable with that validator's consensus key.
 */
export function qcJson(qc: QuorumCertificate) {
  return {
    view: qc.view,
    block_hash: toHex(qc.blockHash),
    signers: qc.signers,
    signatures: qc.signatures.map(toHex),
  }
}
