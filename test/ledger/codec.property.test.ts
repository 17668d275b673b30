// The codec's laws, checked on random values and random bytes:
//   1. decode(encode(x)) deep-equals x, for every encodable x of every type;
//   2. decoding any bytes either throws a DecodeError or yields a value that re-encodes to those same bytes.
// Seeded (QUORATE_SEED overrides); fast-check prints the seed and path of any counterexample.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DecodeError,
  decodeAccount,
  decodeBlock,
  decodeBlockHeader,
  decodeConsensusMessage,
  decodeProposal,
  decodeQC,
  decodeReceipt,
  decodeSafetyState,
  decodeTC,
  decodeTimeout,
  decodeTx,
  decodeVote,
  encodeAccount,
  encodeBlock,
  encodeBlockHeader,
  encodeConsensusMessage,
  encodeProposal,
  encodeQC,
  encodeReceipt,
  encodeSafetyState,
  encodeTC,
  encodeTimeout,
  encodeTx,
  encodeVote,
} from '../../ledger/codec/index.js'
import {
  arbitraryAccount,
  arbitraryBlock,
  arbitraryBlockHeader,
  arbitraryConsensusMessage,
  arbitraryProposal,
  arbitraryQC,
  arbitraryReceipt,
  arbitrarySafetyState,
  arbitraryTC,
  arbitraryTimeout,
  arbitraryTx,
  arbitraryVote,
  propertyParameters,
} from '../support/arbitraries.js'

interface CodecCase<T> {
  readonly name: string
  readonly arbitrary: fc.Arbitrary<T>
  readonly encode: (value: T) => Uint8Array
  readonly decode: (bytes: Uint8Array) => T
}

function codecCase<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  encode: (value: T) => Uint8Array,
  decode: (bytes: Uint8Array) => T,
): CodecCase<unknown> {
  // Erase T so the cases can share one table; each case's functions still only meet their own values.
  return { name, arbitrary, encode, decode } as CodecCase<unknown>
}

const cases: readonly CodecCase<unknown>[] = [
  codecCase('tx', arbitraryTx, encodeTx, decodeTx),
  codecCase('block header', arbitraryBlockHeader, encodeBlockHeader, decodeBlockHeader),
  codecCase('block', arbitraryBlock(), encodeBlock, decodeBlock),
  codecCase('QC', arbitraryQC, encodeQC, decodeQC),
  codecCase('vote', arbitraryVote, encodeVote, decodeVote),
  codecCase('timeout', arbitraryTimeout, encodeTimeout, decodeTimeout),
  codecCase('TC', arbitraryTC, encodeTC, decodeTC),
  codecCase('proposal', arbitraryProposal, encodeProposal, decodeProposal),
  codecCase('consensus message', arbitraryConsensusMessage, encodeConsensusMessage, decodeConsensusMessage),
  codecCase('safety state', arbitrarySafetyState, encodeSafetyState, decodeSafetyState),
  codecCase('account', arbitraryAccount, encodeAccount, decodeAccount),
  codecCase('receipt', arbitraryReceipt, encodeReceipt, decodeReceipt),
]

/**
 * The totality law for one input: a decoder either rejects with a DecodeError (and nothing else), or accepts
 * and the value re-encodes to exactly the input (one value, one encoding).
 */
function expectDecodeTotal(codec: CodecCase<unknown>, bytes: Uint8Array): void {
  let value: unknown
  try {
    value = codec.decode(bytes)
  } catch (error) {
    if (error instanceof DecodeError) return
    throw new Error(`${codec.name} decoder threw something other than a DecodeError: ${String(error)}`, {
      cause: error,
    })
  }
  expect(codec.encode(value)).toEqual(bytes)
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly mask: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'extend'; readonly extra: Uint8Array }
  | { readonly kind: 'insert'; readonly at: number; readonly extra: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }

// Positions are fractions of the encoding's length, so one mutation arbitrary serves encodings of any size.
const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const extraBytes = fc.uint8Array({ minLength: 1, maxLength: 16 })
const arbitraryMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: position,
    value: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 0x7f, 0x80, 0xff), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('extend' as const), extra: extraBytes }),
  fc.record({ kind: fc.constant('insert' as const), at: position, extra: extraBytes }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
)

function mutate(bytes: Uint8Array, mutation: Mutation): Uint8Array {
  const at = 'at' in mutation ? Math.floor(mutation.at * bytes.length) : 0
  switch (mutation.kind) {
    case 'flip': {
      const mutated = bytes.slice()
      mutated[at] = (mutated[at] as number) ^ mutation.mask
      return mutated
    }
    case 'set': {
      const mutated = bytes.slice()
      mutated[at] = mutation.value
      return mutated
    }
    case 'truncate':
      return bytes.slice(0, at)
    case 'extend':
      return concat(bytes, mutation.extra)
    case 'insert':
      return concat(bytes.subarray(0, at), mutation.extra, bytes.subarray(at))
    case 'delete':
      return concat(bytes.subarray(0, at), bytes.subarray(at + mutation.length))
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.length
  }
  return joined
}

describe.each(cases)('$name codec', (codec) => {
  it('round-trips: decode(encode(x)) deep-equals x and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(codec.arbitrary, (value) => {
        const bytes = codec.encode(value)
        const decoded = codec.decode(bytes)
        expect(decoded).toStrictEqual(value)
        expect(codec.encode(decoded)).toEqual(bytes)
      }),
      propertyParameters(200),
    )
  })

  it('rejects random bytes only with DecodeError, and re-encodes whatever it accepts', () => {
    // Half the inputs start with version 1 (or a valid message kind), so the decoder gets past the first byte.
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.uint8Array({ maxLength: 512 }).map((tail) => concat(Uint8Array.of(1), tail)),
      fc.uint8Array({ maxLength: 512 }).map((tail) => concat(Uint8Array.of(2, 1), tail)),
    )
    fc.assert(
      fc.property(input, (bytes) => expectDecodeTotal(codec, bytes)),
      propertyParameters(500),
    )
  })

  it('rejects mutated, truncated and extended encodings only with DecodeError', () => {
    fc.assert(
      fc.property(
        codec.arbitrary,
        fc.array(arbitraryMutation, { minLength: 1, maxLength: 3 }),
        (value, mutations) => {
          const bytes = mutations.reduce(mutate, codec.encode(value))
          expectDecodeTotal(codec, bytes)
        },
      ),
      propertyParameters(500),
    )
  })
})
