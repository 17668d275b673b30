// Merkle roots and inclusion proofs (RFC 6962 shape, Quorate's tagged hashing), checked against a direct
// transcription of RFC 6962 §2.1's recursive definitions and of the hashing format documented in merkle.ts.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  domainTag,
  emptyMerkleRoot,
  merkleLeafHash,
  merkleNodeHash,
  merkleProof,
  merkleRoot,
  merkleTag,
  sha256,
  verifyMerkleProof,
} from '../../crypto/index.js'

const seedDefault = 0x6962
function testSeed(): number {
  const text = process.env.QUORATE_SEED
  if (text === undefined || text === '') return seedDefault
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`QUORATE_SEED must be an integer, got ${text}`)
  return seed | 0
}
const seed = testSeed()

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** Distinct leaves: leaf i is SHA-256 of its index, so no two proofs can coincide by accident. */
function leavesOf(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => sha256(new TextEncoder().encode(`leaf ${i}`)))
}

// The reference: RFC 6962 §2.1 MTH and PATH, literally, with the hashing format written out again.
const referenceLeafHash = (leaf: Uint8Array): Uint8Array =>
  sha256(domainTag(merkleTag), Uint8Array.of(0), leaf)
const referenceNodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array =>
  sha256(domainTag(merkleTag), Uint8Array.of(1), left, right)

function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(domainTag(merkleTag))
  if (leaves.length === 1) return referenceLeafHash(leaves[0]!)
  const k = largestPowerOfTwoBelow(leaves.length)
  return referenceNodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)))
}

function referencePath(index: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return []
  const k = largestPowerOfTwoBelow(leaves.length)
  return index < k
    ? [...referencePath(index, leaves.slice(0, k)), referenceRoot(leaves.slice(k))]
    : [...referencePath(index - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))]
}

describe('merkleRoot', () => {
  it('the empty tree has the documented constant root: SHA-256 of the tag alone', () => {
    expect(hex(merkleRoot([]))).toBe(hex(sha256(domainTag(merkleTag))))
    expect(hex(emptyMerkleRoot)).toBe(hex(merkleRoot([])))
  })

  it('matches the RFC 6962 recursive definition for every size from 0 to 33, and for 1000 leaves', () => {
    for (let count = 0; count <= 33; count++) {
      const leaves = leavesOf(count)
      expect(hex(merkleRoot(leaves)), `${count} leaves`).toBe(hex(referenceRoot(leaves)))
    }
    const many = leavesOf(1000)
    expect(hex(merkleRoot(many))).toBe(hex(referenceRoot(many)))
  })

  it('uses the documented leaf and node hashes', () => {
    const [a, b] = leavesOf(2) as [Uint8Array, Uint8Array]
    expect(hex(merkleLeafHash(a))).toBe(hex(referenceLeafHash(a)))
    expect(hex(merkleNodeHash(a, b))).toBe(hex(referenceNodeHash(a, b)))
    expect(hex(merkleRoot([a]))).toBe(hex(merkleLeafHash(a)))
  })

  it('depends on every leaf and on their order', () => {
    const leaves = leavesOf(7)
    const root = hex(merkleRoot(leaves))
    for (let i = 0; i < leaves.length; i++) {
      const changed = leaves.map((leaf) => leaf.slice())
      changed[i]![0]! ^= 1
      expect(hex(merkleRoot(changed)), `leaf ${i} changed`).not.toBe(root)
    }
    const swapped = [leaves[1]!, leaves[0]!, ...leaves.slice(2)]
    expect(hex(merkleRoot(swapped))).not.toBe(root)
    expect(hex(merkleRoot(leaves.slice(0, 6)))).not.toBe(root)
  })

  it('keeps leaves and inner nodes apart: a tree of inner nodes does not reproduce the root', () => {
    const leaves = leavesOf(4)
    const innerNodes = [
      merkleNodeHash(merkleLeafHash(leaves[0]!), merkleLeafHash(leaves[1]!)),
      merkleNodeHash(merkleLeafHash(leaves[2]!), merkleLeafHash(leaves[3]!)),
    ]
    expect(hex(merkleNodeHash(innerNodes[0]!, innerNodes[1]!))).toBe(hex(merkleRoot(leaves)))
    expect(hex(merkleRoot(innerNodes))).not.toBe(hex(merkleRoot(leaves)))
  })

  it('refuses leaves that are not 32-byte hashes', () => {
    expect(() => merkleRoot([new Uint8Array(31)])).toThrow(RangeError)
    expect(() => merkleRoot([new Uint8Array(32), new Uint8Array(33)])).toThrow(/leaf 1/)
  })
})

describe('merkleProof and verifyMerkleProof', () => {
  it('for every size 1..33 and every index: the proof is RFC 6962 PATH and verifies', () => {
    for (let count = 1; count <= 33; count++) {
      const leaves = leavesOf(count)
      const root = merkleRoot(leaves)
      for (let index = 0; index < count; index++) {
        const proof = merkleProof(leaves, index)
        const label = `index ${index} of ${count}`
        expect(proof.map(hex), label).toEqual(referencePath(index, leaves).map(hex))
        expect(verifyMerkleProof(leaves[index]!, index, count, proof, root), label).toBe(true)
      }
    }
  })

  it('for every size 1..33: tampered proofs, leaves, indices and roots fail', () => {
    for (let count = 1; count <= 33; count++) {
      const leaves = leavesOf(count)
      const root = merkleRoot(leaves)
      for (let index = 0; index < count; index++) {
        const leaf = leaves[index]!
        const proof = merkleProof(leaves, index)
        const label = `index ${index} of ${count}`
        proof.forEach((_, position) => {
          const tampered = proof.map((hash) => hash.slice())
          tampered[position]![31]! ^= 0x80
          expect(verifyMerkleProof(leaf, index, count, tampered, root), `${label}, sibling ${position}`).toBe(
            false,
          )
        })
        if (proof.length > 0) {
          expect(verifyMerkleProof(leaf, index, count, proof.slice(0, -1), root), `${label} shortened`).toBe(
            false,
          )
          const reversed = [...proof].reverse()
          if (proof.length > 1)
            expect(verifyMerkleProof(leaf, index, count, reversed, root), label).toBe(false)
        }
        expect(verifyMerkleProof(leaf, index, count, [...proof, root], root), `${label} lengthened`).toBe(
          false,
        )
        const otherLeaf = leaf.slice()
        otherLeaf[0]! ^= 1
        expect(verifyMerkleProof(otherLeaf, index, count, proof, root), `${label} other leaf`).toBe(false)
        const otherRoot = root.slice()
        otherRoot[5]! ^= 1
        expect(verifyMerkleProof(leaf, index, count, proof, otherRoot), `${label} other root`).toBe(false)
        for (let otherIndex = 0; otherIndex < count; otherIndex++) {
          if (otherIndex === index) continue
          expect(verifyMerkleProof(leaf, otherIndex, count, proof, root), `${label} as ${otherIndex}`).toBe(
            false,
          )
        }
      }
    }
  })

  it('a proof does not fix the tree size: the root must come with a trusted leaf count', () => {
    // RFC 6962 roots do not commit to the number of leaves: index 0's path in a 6-leaf tree has the same shape
    // as in a 7-leaf tree, so the same proof verifies against the 6-leaf root under either count.
    const leaves = leavesOf(6)
    const proof = merkleProof(leaves, 0)
    expect(verifyMerkleProof(leaves[0]!, 0, 6, proof, merkleRoot(leaves))).toBe(true)
    expect(verifyMerkleProof(leaves[0]!, 0, 7, proof, merkleRoot(leaves))).toBe(true)
    // The last leaf's position, though, is pinned down by the count.
    expect(verifyMerkleProof(leaves[5]!, 5, 7, merkleProof(leaves, 5), merkleRoot(leaves))).toBe(false)
  })

  it('malformed arguments give false, never an exception', () => {
    const leaves = leavesOf(5)
    const root = merkleRoot(leaves)
    const proof = merkleProof(leaves, 2)
    const leaf = leaves[2]!
    expect(verifyMerkleProof(leaf, 2, 5, proof, root)).toBe(true)
    expect(verifyMerkleProof(leaf, 5, 5, proof, root)).toBe(false)
    expect(verifyMerkleProof(leaf, -1, 5, proof, root)).toBe(false)
    expect(verifyMerkleProof(leaf, 2.5, 5, proof, root)).toBe(false)
    expect(verifyMerkleProof(leaf, 2, 0, proof, root)).toBe(false)
    expect(verifyMerkleProof(leaf, 2, Number.NaN, proof, root)).toBe(false)
    expect(verifyMerkleProof(leaf.subarray(1), 2, 5, proof, root)).toBe(false)
    expect(verifyMerkleProof(leaf, 2, 5, proof, root.subarray(1))).toBe(false)
    expect(verifyMerkleProof(leaf, 2, 5, [proof[0]!.subarray(1), ...proof.slice(1)], root)).toBe(false)
    expect(verifyMerkleProof(leaf, 2, 5, 'proof' as unknown as Uint8Array[], root)).toBe(false)
    expect(verifyMerkleProof(leaf, 2, 5, new Array(100).fill(leaf), root)).toBe(false)
  })

  it('merkleProof refuses an index outside the leaves', () => {
    const leaves = leavesOf(3)
    expect(() => merkleProof(leaves, 3)).toThrow(RangeError)
    expect(() => merkleProof(leaves, -1)).toThrow(RangeError)
    expect(() => merkleProof([], 0)).toThrow(RangeError)
  })

  it('property: any size up to 300 and any index, the proof verifies and matches PATH (fast-check)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((count) => fc.tuple(fc.constant(count), fc.nat({ max: count - 1 }))),
        ([count, index]) => {
          const leaves = leavesOf(count)
          const proof = merkleProof(leaves, index)
          expect(proof.map(hex)).toEqual(referencePath(index, leaves).map(hex))
          return verifyMerkleProof(leaves[index]!, index, count, proof, merkleRoot(leaves))
        },
      ),
      { seed, numRuns: 200 },
    )
  })
})
