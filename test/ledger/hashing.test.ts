// Hashes and signing bytes: deterministic, pinned by a golden vector, and domain-separated so that bytes
// signed for one purpose (or one chain) are never valid for another.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../crypto/hash.js'
import { toHex } from '../../crypto/hex.js'
import { merkleRoot } from '../../crypto/merkle.js'
import { EncodeError, encodeBlockHeader, encodeTx, encodeUnsignedTx } from '../../ledger/codec/index.js'
import {
  blockHash,
  hashKey,
  proposalSigningBytes,
  timeoutSigningBytes,
  txHash,
  txRoot,
  txSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import type { Tx } from '../../ledger/types.js'
import {
  arbitraryBlockHeader,
  arbitraryChainId,
  arbitraryHash,
  arbitrarySafeNat,
  arbitraryTx,
  propertyParameters,
} from '../support/arbitraries.js'

const goldenTx: Tx = {
  chainId: 'quorate-golden',
  from: new Uint8Array(32).fill(1),
  nonce: 42,
  body: { kind: 'transfer', to: new Uint8Array(32).fill(2), amount: 123_456_789n },
  signature: new Uint8Array(64).fill(3),
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && Buffer.compare(bytes.subarray(0, prefix.length), prefix) === 0
}

const encoder = new TextEncoder()

describe('hashes', () => {
  it('pins the tx hash of a fixed tx (golden vector: changing the encoding or tag breaks this)', () => {
    // Computed once, and cross-checked with Python's hashlib over the documented layout.
    expect(toHex(txHash(goldenTx))).toBe('55a015f8130fcd14e3d3cecaa295ffbeb02529cbb7fe74f1e76033145eda5f3a')
  })

  it('hashes a tx as SHA-256 of the tag quorate/v1/tx, a zero byte, and the canonical encoding', () => {
    const expected = sha256(encoder.encode('quorate/v1/tx'), Uint8Array.of(0), encodeTx(goldenTx))
    expect(txHash(goldenTx)).toEqual(expected)
  })

  it('is deterministic: equal values (not only identical objects) hash equally', () => {
    fc.assert(
      fc.property(arbitraryTx, arbitraryBlockHeader, (tx, header) => {
        expect(txHash(structuredClone(tx))).toEqual(txHash(tx))
        expect(blockHash(structuredClone(header))).toEqual(blockHash(header))
        expect(blockHash(header)).toEqual(
          sha256(encoder.encode('quorate/v1/block'), Uint8Array.of(0), encodeBlockHeader(header)),
        )
      }),
      propertyParameters(100),
    )
  })

  it('changes the block hash when any header field changes', () => {
    fc.assert(
      fc.property(arbitraryBlockHeader, (header) => {
        const hash = blockHash(header)
        const next = (value: number) => (value === Number.MAX_SAFE_INTEGER ? value - 1 : value + 1)
        const flipped = (bytes: Uint8Array) => bytes.map((byte, index) => (index === 0 ? byte ^ 1 : byte))
        const variants = [
          { ...header, height: next(header.height) },
          { ...header, view: next(header.view) },
          { ...header, timestampMs: next(header.timestampMs) },
          { ...header, proposer: header.proposer === 0 ? 1 : 0 },
          { ...header, parentHash: flipped(header.parentHash) },
          { ...header, txRoot: flipped(header.txRoot) },
          { ...header, stateRoot: flipped(header.stateRoot) },
          { ...header, justify: { ...header.justify, view: next(header.justify.view) } },
        ]
        for (const variant of variants) expect(blockHash(variant)).not.toEqual(hash)
      }),
      propertyParameters(100),
    )
  })

  it('computes txRoot as the Merkle root of the tx hashes, in block order', () => {
    const other: Tx = { ...goldenTx, nonce: 43 }
    expect(txRoot([])).toEqual(merkleRoot([]))
    expect(txRoot([goldenTx, other])).toEqual(merkleRoot([txHash(goldenTx), txHash(other)]))
    expect(txRoot([goldenTx, other])).not.toEqual(txRoot([other, goldenTx]))
  })

  it('keys hashes by lowercase hex', () => {
    const hash = txHash(goldenTx)
    expect(hashKey(hash)).toBe(toHex(hash))
    expect(hashKey(hash)).toMatch(/^[0-9a-f]{64}$/)
    expect(hashKey(hash.slice())).toBe(hashKey(hash))
  })
})

describe('signing bytes', () => {
  it('lays out each kind as the tag quorate/v1/<chainId>/<kind>, a zero byte, then the fields', () => {
    expect(toHex(voteSigningBytes('quorate-golden', 5, new Uint8Array(32).fill(9)))).toBe(
      `${toHex(encoder.encode('quorate/v1/quorate-golden/vote'))}00 0000000000000005 ${'09'.repeat(32)}`.replaceAll(
        ' ',
        '',
      ),
    )
    const tag = encoder.encode('quorate/v1/quorate-golden/tx\0')
    expect(txSigningBytes(goldenTx)).toEqual(Uint8Array.from([...tag, ...encodeUnsignedTx(goldenTx)]))
  })

  it('never lets a vote and a timeout collide, even over the same numbers', () => {
    fc.assert(
      fc.property(arbitraryChainId, arbitrarySafeNat, arbitrarySafeNat, (chainId, view, other) => {
        // A block hash that spells the same u64 the timeout carries, to give a collision every chance.
        const hash = new Uint8Array(32)
        new DataView(hash.buffer).setBigUint64(0, BigInt(other))
        const voteBytes = voteSigningBytes(chainId, view, hash)
        const timeoutBytes = timeoutSigningBytes(chainId, view, other)
        expect(voteBytes).not.toEqual(timeoutBytes)
        expect(startsWith(voteBytes, timeoutBytes)).toBe(false)
        expect(startsWith(timeoutBytes, voteBytes)).toBe(false)
      }),
      propertyParameters(200),
    )
  })

  it('separates all four kinds: no kind’s bytes equal or start with another kind’s tag', () => {
    fc.assert(
      fc.property(
        arbitraryChainId,
        arbitraryTx,
        arbitrarySafeNat,
        arbitraryHash,
        (chainId, tx, view, hash) => {
          const signed = {
            tx: txSigningBytes({ ...tx, chainId }),
            vote: voteSigningBytes(chainId, view, hash),
            timeout: timeoutSigningBytes(chainId, view, view),
            proposal: proposalSigningBytes(chainId, hash),
          }
          for (const [kind, bytes] of Object.entries(signed)) {
            for (const otherKind of Object.keys(signed)) {
              if (otherKind === kind) continue
              const otherTag = encoder.encode(`quorate/v1/${chainId}/${otherKind}\0`)
              expect(startsWith(bytes, otherTag)).toBe(false)
            }
          }
        },
      ),
      propertyParameters(200),
    )
  })

  it('differs between chains for the same fields', () => {
    fc.assert(
      fc.property(arbitraryChainId, arbitraryChainId, arbitrarySafeNat, arbitraryHash, (a, b, view, hash) => {
        fc.pre(a !== b)
        expect(voteSigningBytes(a, view, hash)).not.toEqual(voteSigningBytes(b, view, hash))
        expect(timeoutSigningBytes(a, view, view)).not.toEqual(timeoutSigningBytes(b, view, view))
        expect(proposalSigningBytes(a, hash)).not.toEqual(proposalSigningBytes(b, hash))
        expect(txSigningBytes({ ...goldenTx, chainId: a })).not.toEqual(
          txSigningBytes({ ...goldenTx, chainId: b }),
        )
      }),
      propertyParameters(200),
    )
  })

  it('signs the unsigned tx: the signature itself does not change what is signed', () => {
    const resigned: Tx = { ...goldenTx, signature: new Uint8Array(64).fill(0xff) }
    expect(txSigningBytes(resigned)).toEqual(txSigningBytes(goldenTx))
    expect(txHash(resigned)).not.toEqual(txHash(goldenTx))
  })

  it('is deterministic', () => {
    const hash = new Uint8Array(32).fill(7)
    expect(voteSigningBytes('c', 3, hash)).toEqual(voteSigningBytes('c', 3, hash.slice()))
    expect(timeoutSigningBytes('c', 3, 2)).toEqual(timeoutSigningBytes('c', 3, 2))
    expect(proposalSigningBytes('c', hash)).toEqual(proposalSigningBytes('c', hash.slice()))
  })

  it('refuses invalid chain ids and malformed fields rather than signing ambiguous bytes', () => {
    const hash = new Uint8Array(32)
    expect(() => voteSigningBytes('a/vote', 1, hash)).toThrow(EncodeError)
    expect(() => timeoutSigningBytes('', 1, 0)).toThrow(EncodeError)
    expect(() => proposalSigningBytes('c', new Uint8Array(31))).toThrow(EncodeError)
    expect(() => voteSigningBytes('c', 2 ** 53, hash)).toThrow(EncodeError)
  })
})
