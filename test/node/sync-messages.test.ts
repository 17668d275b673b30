// The /quorate/sync/1.0.0 frame codec. Laws, on random values and random or mutated bytes:
//   1. decode(encode(m)) deep-equals m, for every message kind;
//   2. decoding any bytes either throws a DecodeError (never anything else) or yields a message that
//      re-encodes to exactly those bytes.
// Seeded (QUORATE_SEED overrides); fast-check prints the seed and path of any counterexample.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DecodeError, type DecodeErrorCode, EncodeError, encodeBlock } from '../../ledger/codec/index.js'
import { syncBatchBlockCountMax, syncFrameBytesMax } from '../../ledger/limits.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncMessage } from '../../node/sync/sync-messages.js'
import {
  arbitraryBlock,
  arbitraryBlockHeader,
  arbitraryHash,
  arbitraryQC,
  arbitrarySafeNat,
  propertyParameters,
} from '../support/arbitraries.js'

const arbitrarySyncMessage: fc.Arbitrary<SyncMessage> = fc.oneof(
  arbitraryHash.map((hash) => ({ kind: 'get-block' as const, hash })),
  arbitraryBlock(4).map((block) => ({ kind: 'block' as const, block })),
  fc.constant({ kind: 'get-head' as const }),
  fc
    .record({ header: arbitraryBlockHeader, qc: arbitraryQC })
    .map((head) => ({ kind: 'head' as const, ...head })),
  fc
    .record({ fromHeight: arbitrarySafeNat, count: fc.integer({ min: 1, max: syncBatchBlockCountMax }) })
    .map((range) => ({ kind: 'get-blocks' as const, ...range })),
  fc
    .record({
      fromHeight: arbitrarySafeNat,
      blocks: fc.array(fc.record({ block: arbitraryBlock(2), qc: arbitraryQC }), { maxLength: 3 }),
    })
    .map((batch) => ({ kind: 'blocks' as const, ...batch })),
)

/** The decoded message, or the DecodeError it threw; any other exception fails the test. */
function decodeOrError(bytes: Uint8Array): SyncMessage | DecodeError {
  try {
    return decodeSyncMessage(bytes)
  } catch (error) {
    if (error instanceof DecodeError) return error
    throw error
  }
}

function expectDecodeError(bytes: Uint8Array, code: DecodeErrorCode): void {
  const result = decodeOrError(bytes)
  expect(result).toBeInstanceOf(DecodeError)
  expect((result as DecodeError).code).toBe(code)
}

/** Law 2 for one input. */
function expectDecodeErrorOrCanonical(bytes: Uint8Array): void {
  const result = decodeOrError(bytes)
  if (!(result instanceof DecodeError)) expect(encodeSyncMessage(result)).toEqual(bytes)
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly mask: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly byte: number }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array }

const arbitraryMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
)

function mutate(bytes: Uint8Array, mutation: Mutation): Uint8Array {
  switch (mutation.kind) {
    case 'flip': {
      const copy = bytes.slice()
      copy[mutation.at % copy.length]! ^= mutation.mask
      return copy
    }
    case 'truncate':
      return bytes.slice(0, mutation.at % bytes.length)
    case 'insert': {
      const at = mutation.at % (bytes.length + 1)
      return Uint8Array.from([...bytes.subarray(0, at), mutation.byte, ...bytes.subarray(at)])
    }
    case 'delete': {
      const at = mutation.at % bytes.length
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)])
    }
    case 'append':
      return Uint8Array.from([...bytes, ...mutation.bytes])
  }
}

describe('sync message codec', () => {
  it('round-trips get-block', () => {
    fc.assert(
      fc.property(arbitraryHash, (hash) => {
        const message: SyncMessage = { kind: 'get-block', hash }
        expect(decodeSyncMessage(encodeSyncMessage(message))).toEqual(message)
      }),
      propertyParameters(200),
    )
  })

  it('round-trips block', () => {
    fc.assert(
      fc.property(arbitraryBlock(4), (block) => {
        const message: SyncMessage = { kind: 'block', block }
        expect(decodeSyncMessage(encodeSyncMessage(message))).toEqual(message)
      }),
      propertyParameters(100),
    )
  })

  it('round-trips head (a header with the QC that certifies it)', () => {
    fc.assert(
      fc.property(arbitraryBlockHeader, arbitraryQC, (header, qc) => {
        const message: SyncMessage = { kind: 'head', header, qc }
        expect(decodeSyncMessage(encodeSyncMessage(message))).toEqual(message)
      }),
      propertyParameters(100),
    )
  })

  it('round-trips every kind', () => {
    fc.assert(
      fc.property(arbitrarySyncMessage, (message) => {
        expect(decodeSyncMessage(encodeSyncMessage(message))).toEqual(message)
      }),
      propertyParameters(300),
    )
  })

  it('lays frames out as version 1, kind, then the 32-byte hash or the block encoding', () => {
    const hash = new Uint8Array(32).fill(7)
    expect(encodeSyncMessage({ kind: 'get-block', hash })).toEqual(Uint8Array.from([1, 1, ...hash]))
    fc.assert(
      fc.property(arbitraryBlock(2), (block) => {
        expect(encodeSyncMessage({ kind: 'block', block })).toEqual(
          Uint8Array.from([1, 2, ...encodeBlock(block)]),
        )
      }),
      propertyParameters(50),
    )
  })

  it('decoded values do not alias the input frame', () => {
    const bytes = encodeSyncMessage({ kind: 'get-block', hash: new Uint8Array(32).fill(3) })
    const message = decodeSyncMessage(bytes)
    bytes.fill(0)
    expect(message).toEqual({ kind: 'get-block', hash: new Uint8Array(32).fill(3) })
  })

  it('refuses to encode a hash that is not 32 bytes', () => {
    expect(() => encodeSyncMessage({ kind: 'get-block', hash: new Uint8Array(31) })).toThrow(EncodeError)
  })

  describe('rejects with a DecodeError code', () => {
    it('truncated: empty, version only, a short hash', () => {
      expectDecodeError(new Uint8Array(0), 'truncated')
      expectDecodeError(Uint8Array.of(1), 'truncated')
      expectDecodeError(Uint8Array.of(1, 1, ...new Uint8Array(31)), 'truncated')
      expectDecodeError(Uint8Array.of(1, 2), 'truncated')
    })

    it('trailing-bytes: a hash followed by anything', () => {
      expectDecodeError(Uint8Array.of(1, 1, ...new Uint8Array(33)), 'trailing-bytes')
    })

    it('unknown-version: any version byte but 1', () => {
      for (const version of [0, 2, 255])
        expectDecodeError(Uint8Array.of(version, 1, ...new Uint8Array(32)), 'unknown-version')
    })

    it('invalid-field: a get-blocks count of 0 or above syncBatchBlockCountMax', () => {
      for (const count of [0, syncBatchBlockCountMax + 1]) {
        expectDecodeError(
          Uint8Array.of(1, 5, 0, 0, 0, 0, 0, 0, 0, 1, count >> 8, count & 0xff),
          'invalid-field',
        )
      }
    })

    it('unknown-kind: any kind byte but 1 to 6', () => {
      for (const kind of [0, 7, 255])
        expectDecodeError(Uint8Array.of(1, kind, ...new Uint8Array(32)), 'unknown-kind')
    })

    it('too-large: a frame over syncFrameBytesMax, before reading it', () => {
      const frame = new Uint8Array(syncFrameBytesMax + 1)
      frame.set([1, 1])
      expectDecodeError(frame, 'too-large')
    })
  })

  it('random bytes only ever decode canonically or throw DecodeError', () => {
    // Random tails behind each valid prefix, so the property reaches past the version and kind bytes.
    const prefixes = [
      [],
      [1],
      [1, 1],
      [1, 2],
      [1, 2, 1],
      [1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1],
      [1, 4],
      [1, 4, 1],
    ]
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 400 }), (prefix, tail) => {
        expectDecodeErrorOrCanonical(Uint8Array.from([...prefix, ...tail]))
      }),
      propertyParameters(1_000),
    )
  })

  it('mutated valid frames only ever decode canonically or throw DecodeError', () => {
    fc.assert(
      fc.property(
        arbitrarySyncMessage,
        fc.array(arbitraryMutation, { minLength: 1, maxLength: 3 }),
        (message, mutations) => {
          let bytes = encodeSyncMessage(message)
          for (const mutation of mutations) bytes = bytes.length === 0 ? bytes : mutate(bytes, mutation)
          expectDecodeErrorOrCanonical(bytes)
        },
      ),
      propertyParameters(500),
    )
  })
})
