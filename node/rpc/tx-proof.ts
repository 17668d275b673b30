// Merkle inclusion proofs of a transaction in a block, as the `tx` method returns them with `prove: true`, and
// their check. A block header's tx_root is merkleRoot(txHash of each tx, in block order) (ledger/hashing.ts); the
// proof is that tree's audit path (crypto/merkle.ts, RFC 6962), so a client that trusts a header (from `commit`,
// whose QC it can check) can check that the transaction is in that block without fetching the block.

import { bytesEqual, fromHex, HexError, toHex } from '../../crypto/hex.js'
import { merkleLeafHash, merkleProof, merkleProofLengthMax, verifyMerkleProof } from '../../crypto/merkle.js'
import { DecodeError, decodeTx, encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import { txBytesMax } from '../../ledger/limits.js'
import type { Block } from '../../ledger/types.js'

/** CometBFT's TxProof shape, hex for base64. */
export interface TxProofJson {
  /** The block header's tx_root. */
  readonly root_hash: string
  /** The transaction's bytes (what broadcast_tx_* took). */
  readonly data: string
  readonly proof: {
    /** The number of transactions in the block (the tree's leaves). */
    readonly total: number
    /** The transaction's position in the block. */
    readonly index: number
    /** merkleLeafHash(txHash(tx)): the leaf's hash in the tree. */
    readonly leaf_hash: string
    /** Sibling hashes from the leaf up to the root. */
    readonly aunts: readonly string[]
  }
}

/** The proof that transaction `index` of `block` is under the block's tx_root. */
export function txProofJson(block: Block, index: number): TxProofJson {
  const tx = block.txs[index]
  if (tx === undefined) throw new RangeError(`block ${block.header.height} has no transaction ${index}`)
  const leaves = block.txs.map(txHash)
  return {
    root_hash: toHex(block.header.txRoot),
    data: toHex(encodeTx(tx)),
    proof: {
      total: leaves.length,
      index,
      leaf_hash: toHex(merkleLeafHash(leaves[index] as Uint8Array)),
      aunts: merkleProof(leaves, index).map(toHex),
    },
  }
}

/**
 * Whether `proof` (a TxProofJson, as received: unchecked) shows that its transaction is in the block whose header
 * has `txRoot`. Any malformed or tampered proof gives false; never throws. Sizes are checked before decoding.
 */
export function verifyTxProof(proof: unknown, txRoot: Uint8Array): boolean {
  const parsed = parseTxProof(proof)
  if (parsed === undefined) return false
  const { rootHash, data, total, index, leafHash, aunts } = parsed
  let leaf: Uint8Array
  try {
    leaf = txHash(decodeTx(data))
  } catch (error) {
    if (error instanceof DecodeError) return false
    throw error
  }
  return (
    bytesEqual(rootHash, txRoot) &&
    bytesEqual(leafHash, merkleLeafHash(leaf)) &&
    verifyMerkleProof(leaf, index, total, aunts, txRoot)
  )
}

interface ParsedTxProof {
  readonly rootHash: Uint8Array
  readonly data: Uint8Array
  readonly total: number
  readonly index: number
  readonly leafHash: Uint8Array
  readonly aunts: readonly Uint8Array[]
}

function parseTxProof(value: unknown): ParsedTxProof | undefined {
  if (!isRecord(value) || !isRecord(value.proof)) return undefined
  const { total, index, aunts } = value.proof
  if (typeof total !== 'number' || typeof index !== 'number') return undefined
  if (!Array.isArray(aunts) || aunts.length > merkleProofLengthMax) return undefined
  const rootHash = hexOf(value.root_hash, 32)
  const data = hexOf(value.data)
  const leafHash = hexOf(value.proof.leaf_hash, 32)
  const auntBytes = aunts.map((aunt: unknown) => hexOf(aunt, 32))
  if (rootHash === undefined || data === undefined || leafHash === undefined) return undefined
  if (data.length > txBytesMax) return undefined
  if (!auntBytes.every((aunt) => aunt !== undefined)) return undefined
  return { rootHash, data, total, index, leafHash, aunts: auntBytes }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function hexOf(value: unknown, bytesExpected?: number): Uint8Array | undefined {
  // Twice the longest transaction: anything longer is refused before it is decoded.
  if (typeof value !== 'string' || value.length > 2 * txBytesMax) return undefined
  try {
    return fromHex(value, bytesExpected)
  } catch (error) {
    if (error instanceof HexError) return undefined
    throw error
  }
}
