// The inclusion proofs `tx` returns with `prove: true`: for every transaction of every block, the proof verifies
// against the header's tx_root; any tampering (another transaction, a changed sibling, index, root or leaf hash,
// a sibling dropped or added, a count the path cannot have) and any malformed proof fails, without throwing.
// (`total` only shapes the path, as in RFC 9162: a count with the same shape verifies, and proves the same thing.)
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { merkleProofLengthMax } from '../../crypto/merkle.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { txRoot } from '../../ledger/hashing.js'
import type { Block } from '../../ledger/types.js'
import { type TxProofJson, txProofJson, verifyTxProof } from '../../node/rpc/tx-proof.js'
import { arbitraryBlockHeader, arbitraryTx, propertyParameters } from '../support/arbitraries.js'

/** A block whose header commits to its transactions, as every committed block does. */
const arbitraryCommittedBlock = (txCountMin: number, txCountMax: number): fc.Arbitrary<Block> =>
  fc
    .record({
      header: arbitraryBlockHeader,
      txs: fc.array(arbitraryTx, { minLength: txCountMin, maxLength: txCountMax }),
    })
    .map(({ header, txs }) => ({ header: { ...header, txRoot: txRoot(txs) }, txs }))

function flipped(hex: string): string {
  const first = Number.parseInt(hex.slice(0, 2), 16) ^ 0x01
  return first.toString(16).padStart(2, '0') + hex.slice(2)
}

/** Every way to tamper with a proof that a verifier must notice. */
function tamperings(proof: TxProofJson, block: Block): Array<{ what: string; proof: unknown }> {
  const inner = proof.proof
  const other = block.txs.find((_, index) => index !== inner.index)
  const tampered: Array<{ what: string; proof: unknown }> = [
    { what: 'the transaction changed', proof: { ...proof, data: flipped(proof.data) } },
    { what: 'the root changed', proof: { ...proof, root_hash: flipped(proof.root_hash) } },
    {
      what: 'the leaf hash changed',
      proof: { ...proof, proof: { ...inner, leaf_hash: flipped(inner.leaf_hash) } },
    },
    {
      what: 'a sibling added',
      proof: { ...proof, proof: { ...inner, aunts: [...inner.aunts, proof.root_hash] } },
    },
  ]
  if (other !== undefined) {
    tampered.push({
      what: 'another transaction of the block',
      proof: { ...proof, data: toHex(encodeTx(other)) },
    })
    tampered.push({
      what: 'another index',
      proof: { ...proof, proof: { ...inner, index: (inner.index + 1) % inner.total } },
    })
  }
  if (inner.aunts.length > 0) {
    tampered.push({
      what: 'a sibling changed',
      proof: {
        ...proof,
        proof: { ...inner, aunts: inner.aunts.map((aunt, i) => (i === 0 ? flipped(aunt) : aunt)) },
      },
    })
    tampered.push({
      what: 'a sibling dropped',
      proof: { ...proof, proof: { ...inner, aunts: inner.aunts.slice(1) } },
    })
  }
  if (inner.total > 1)
    tampered.push({ what: 'the count lowered', proof: { ...proof, proof: { ...inner, total: 1 } } })
  return tampered
}

describe('transaction inclusion proofs', () => {
  it('every transaction of a block has a proof that verifies against the header tx_root', () => {
    fc.assert(
      fc.property(arbitraryCommittedBlock(1, 40), (block) => {
        block.txs.forEach((_, index) => {
          const proof = txProofJson(block, index)
          expect(proof.root_hash).toBe(toHex(block.header.txRoot))
          expect(proof.proof).toMatchObject({ total: block.txs.length, index })
          expect(verifyTxProof(proof, block.header.txRoot)).toBe(true)
          // A JSON round trip (what a client receives) changes nothing.
          expect(verifyTxProof(JSON.parse(JSON.stringify(proof)), block.header.txRoot)).toBe(true)
        })
      }),
      propertyParameters(60),
    )
  })

  it('a tampered proof fails, whatever was changed', () => {
    fc.assert(
      fc.property(arbitraryCommittedBlock(1, 24), fc.nat(), (block, pick) => {
        const index = pick % block.txs.length
        const proof = txProofJson(block, index)
        for (const { what, proof: bad } of tamperings(proof, block)) {
          expect(verifyTxProof(bad, block.header.txRoot), what).toBe(false)
        }
      }),
      propertyParameters(200),
    )
  })

  it('a proof checked against another block header tx_root fails', () => {
    fc.assert(
      fc.property(arbitraryCommittedBlock(1, 12), arbitraryCommittedBlock(1, 12), (block, other) => {
        fc.pre(toHex(block.header.txRoot) !== toHex(other.header.txRoot))
        expect(verifyTxProof(txProofJson(block, 0), other.header.txRoot)).toBe(false)
      }),
      propertyParameters(50),
    )
  })

  it('malformed proofs give false and never throw', () => {
    const block = fc.sample(arbitraryCommittedBlock(3, 3), { seed: 5, numRuns: 1 })[0]!
    const good = txProofJson(block, 1)
    const malformed: unknown[] = [
      null,
      undefined,
      'proof',
      [],
      {},
      { ...good, proof: null },
      { ...good, data: 'zz' },
      { ...good, data: '00' },
      { ...good, data: 'ab'.repeat(100_000) },
      { ...good, root_hash: 7 },
      { ...good, proof: { ...good.proof, index: -1 } },
      { ...good, proof: { ...good.proof, index: 1.5 } },
      { ...good, proof: { ...good.proof, total: '3' } },
      { ...good, proof: { ...good.proof, aunts: 'aunts' } },
      { ...good, proof: { ...good.proof, aunts: [1, 2] } },
      { ...good, proof: { ...good.proof, aunts: Array(merkleProofLengthMax + 1).fill(good.root_hash) } },
    ]
    for (const proof of malformed) expect(verifyTxProof(proof, block.header.txRoot)).toBe(false)
    expect(verifyTxProof(good, block.header.txRoot)).toBe(true)
  })
})
