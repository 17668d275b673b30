// Merkle trees over 32-byte leaf hashes (transaction hashes), shaped as in RFC 6962 §2.1: a tree over n > 1
// leaves splits at k, the largest power of two smaller than n. Hashes follow RFC 6962's prefixes inside
// Quorate's domain tagging (DESIGN §4: every hash carries a domain tag):
//   leaf:  SHA-256(domainTag(merkleTag) ‖ 0x00 ‖ leaf)
//   node:  SHA-256(domainTag(merkleTag) ‖ 0x01 ‖ left ‖ right)
//   empty: SHA-256(domainTag(merkleTag))  (RFC 6962 hashes the empty string; this is its tagged analogue)
// The distinct prefixes keep a leaf from passing for an inner node (second-preimage attacks), and the three
// inputs have three different lengths, so none can pass for another.

import { taggedHash } from './hash.js'
import { bytesEqual } from './hex.js'

export const merkleTag = 'quorate/v1/merkle'
export const merkleHashBytes = 32
/** A proof for a tree of at most 2^53 leaves (safe integers) has at most 53 siblings. */
export const merkleProofLengthMax = 53

const leafPrefix = Uint8Array.of(0x00)
const nodePrefix = Uint8Array.of(0x01)

export const emptyMerkleRoot: Uint8Array = taggedHash(merkleTag)

export function merkleLeafHash(leaf: Uint8Array): Uint8Array {
  return taggedHash(merkleTag, leafPrefix, leaf)
}

export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return taggedHash(merkleTag, nodePrefix, left, right)
}

function assertLeaves(leaves: readonly Uint8Array[]): void {
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]
    if (!(leaf instanceof Uint8Array) || leaf.length !== merkleHashBytes) {
      throw new RangeError(`Merkle leaf ${i} must be a ${merkleHashBytes}-byte hash`)
    }
  }
}

/**
 * All levels of the tree, leaves' hashes first, root last. Pairing neighbours and carrying an unpaired last
 * node up unchanged builds exactly RFC 6962's tree (its split at the largest power of two makes every left
 * subtree complete, so only the rightmost node of a level can be unpaired).
 */
function merkleLevels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  assertLeaves(leaves)
  let level = leaves.map(merkleLeafHash)
  const levels = [level]
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < level.length; i += 2) next.push(merkleNodeHash(level[i]!, level[i + 1]!))
    if (level.length % 2 === 1) next.push(level[level.length - 1]!)
    levels.push(next)
    level = next
  }
  return levels
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyMerkleRoot.slice()
  const levels = merkleLevels(leaves)
  return levels[levels.length - 1]![0]!
}

/** The audit path of RFC 6962 §2.1.1 for leaf `index`: sibling hashes from the leaf up to the root. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`Merkle proof index ${index} is outside 0..${leaves.length - 1}`)
  }
  const proof: Uint8Array[] = []
  let position = index
  for (const level of merkleLevels(leaves)) {
    if (level.length === 1) break
    const sibling = position % 2 === 1 ? position - 1 : position + 1
    // No sibling: the last node of an odd level moves up unchanged and adds nothing to the path.
    if (sibling < level.length) proof.push(level[sibling]!)
    position = Math.floor(position / 2)
  }
  return proof
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === merkleHashBytes
}

/**
 * Whether `proof` shows that `leaf` is leaf number `index` of a tree of `leafCount` leaves with this root
 * (the algorithm of RFC 9162 §2.1.3.2). Any malformed input gives false; never throws.
 */
export function verifyMerkleProof(
  leaf: Uint8Array,
  index: number,
  leafCount: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leaf) || !isHash(root) || !Array.isArray(proof) || proof.length > merkleProofLengthMax)
    return false
  if (!Number.isSafeInteger(leafCount) || !Number.isSafeInteger(index) || index < 0 || index >= leafCount) {
    return false
  }
  // Halving with Math.floor rather than >>, which would truncate counts above 2^31 to 32 bits.
  let position = index
  let lastPosition = leafCount - 1
  let hash = merkleLeafHash(leaf)
  for (const sibling of proof) {
    if (!isHash(sibling) || lastPosition === 0) return false
    if (position % 2 === 1 || position === lastPosition) {
      hash = merkleNodeHash(sibling, hash)
      // A left child that is the last node of its level rises unchanged until it becomes a right child.
      while (position % 2 === 0 && position !== 0) {
        position /= 2
        lastPosition = Math.floor(lastPosition / 2)
      }
    } else {
      hash = merkleNodeHash(hash, sibling)
    }
    position = Math.floor(position / 2)
    lastPosition = Math.floor(lastPosition / 2)
  }
  return lastPosition === 0 && bytesEqual(hash, root)
}
