// The tx-batch frame: what an honest validator encodes decodes to the same transactions, in order; every shape
// no honest validator sends (bad length prefixes, too many transactions, too many bytes, trailing bytes, an
// unknown version, an empty batch) is refused with a named reason before anything is allocated for it; and no
// bytes at all make the decoder throw anything but its own TxBatchDecodeError.
// Seeded (QUORATE_SEED overrides); fast-check prints the seed and path of any counterexample.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DecodeError, EncodeError, encodeTx } from '../../ledger/codec/index.js'
import { txBytesMax } from '../../ledger/limits.js'
import { protocolLimits } from '../../node/protocols.js'
import {
  decodeTxBatch,
  encodeTxBatch,
  TxBatchDecodeError,
  type TxBatchRejection,
  txBatchFrameBytesMax,
  txBatchTxCountMax,
  txBatchVersion,
} from '../../node/validator/tx-batch-codec.js'
import { arbitraryTx, propertyParameters } from '../support/arbitraries.js'

const arbitraryTxBytes = fc.uint8Array({ minLength: 1, maxLength: txBytesMax })
/** Lists an honest sender can build: within the count bound, and within the frame bound in bytes. */
const arbitraryBatch = fc
  .array(arbitraryTxBytes, { minLength: 1, maxLength: txBatchTxCountMax })
  .filter((txs) => 3 + txs.reduce((sum, tx) => sum + 2 + tx.length, 0) <= txBatchFrameBytesMax)

/** A frame from raw parts: [version, count] then [length prefix, body] per entry (bodies of `length` bytes). */
function rawFrame(version: number, count: number, entries: ReadonlyArray<[number, Uint8Array]>): Uint8Array {
  const size = 3 + entries.reduce((sum, [, body]) => sum + 2 + body.length, 0)
  const frame = new Uint8Array(size)
  const view = new DataView(frame.buffer)
  view.setUint8(0, version)
  view.setUint16(1, count)
  let offset = 3
  for (const [length, body] of entries) {
    view.setUint16(offset, length)
    frame.set(body, offset + 2)
    offset += 2 + body.length
  }
  return frame
}

function rejectionOf(frame: Uint8Array): TxBatchRejection | 'accepted' {
  try {
    decodeTxBatch(frame)
    return 'accepted'
  } catch (error) {
    if (error instanceof TxBatchDecodeError) return error.reason
    throw error
  }
}

const tx = (byte: number, length = 150) => new Uint8Array(length).fill(byte)

describe('tx-batch codec', () => {
  it('decode(encode(txs)) gives the same transactions, in order, as copies of the frame', () => {
    fc.assert(
      fc.property(arbitraryBatch, (txs) => {
        const frame = encodeTxBatch(txs)
        expect(frame.length).toBeLessThanOrEqual(txBatchFrameBytesMax)
        const decoded = decodeTxBatch(frame)
        expect(decoded).toEqual(txs)
        // Copies: writing over the frame changes no decoded transaction.
        frame.fill(0xaa)
        expect(decoded).toEqual(txs)
      }),
      propertyParameters(200),
    )
  })

  it('carries real transactions byte for byte', () => {
    fc.assert(
      fc.property(fc.array(arbitraryTx, { minLength: 1, maxLength: 20 }), (txs) => {
        const encoded = txs.map(encodeTx)
        expect(decodeTxBatch(encodeTxBatch(encoded))).toEqual(encoded)
      }),
      propertyParameters(50),
    )
  })

  it('a full batch of the largest transactions fits the protocol frame limit, and one more does not', () => {
    expect(txBatchFrameBytesMax).toBe(protocolLimits['tx-batch'].frameBytesMax)
    const fitting = Math.floor((txBatchFrameBytesMax - 3) / (2 + txBytesMax))
    const largest = Array.from({ length: fitting }, (_, i) => tx(i, txBytesMax))
    expect(decodeTxBatch(encodeTxBatch(largest))).toEqual(largest)
    expect(() => encodeTxBatch([...largest, tx(0, txBytesMax)])).toThrow(EncodeError)
    const mostTxs = Array.from({ length: txBatchTxCountMax }, (_, i) => tx(i))
    expect(decodeTxBatch(encodeTxBatch(mostTxs))).toEqual(mostTxs)
  })

  it('refuses to encode what the decoder would refuse (a bug, not a frame)', () => {
    expect(() => encodeTxBatch([])).toThrow(EncodeError)
    expect(() => encodeTxBatch(Array.from({ length: txBatchTxCountMax + 1 }, () => tx(1, 10)))).toThrow(
      EncodeError,
    )
    expect(() => encodeTxBatch([new Uint8Array(0)])).toThrow(EncodeError)
    expect(() => encodeTxBatch([tx(1, txBytesMax + 1)])).toThrow(EncodeError)
  })

  it('names every malformed shape', () => {
    const body = tx(7, 100)
    const shapes: ReadonlyArray<[string, Uint8Array, TxBatchRejection]> = [
      ['an empty frame', new Uint8Array(0), 'truncated'],
      ['a header cut short', Uint8Array.of(txBatchVersion, 0), 'truncated'],
      ['an unknown version', rawFrame(2, 1, [[100, body]]), 'unknown-version'],
      ['version 0', rawFrame(0, 1, [[100, body]]), 'unknown-version'],
      ['no transactions', rawFrame(txBatchVersion, 0, []), 'no-txs'],
      [
        'a count above txBatchTxCountMax',
        rawFrame(
          txBatchVersion,
          txBatchTxCountMax + 1,
          Array.from({ length: txBatchTxCountMax + 1 }, (): [number, Uint8Array] => [1, Uint8Array.of(1)]),
        ),
        'too-many-txs',
      ],
      ['a count of 65535 in a small frame', rawFrame(txBatchVersion, 0xffff, [[100, body]]), 'too-many-txs'],
      ['a count the bytes cannot hold', rawFrame(txBatchVersion, 5, [[100, body]]), 'truncated'],
      ['a length prefix past the end', rawFrame(txBatchVersion, 1, [[101, body]]), 'truncated'],
      [
        'the second entry without its length prefix',
        rawFrame(txBatchVersion, 2, [
          [1, Uint8Array.of(9)],
          [1, Uint8Array.of(9)],
        ]).subarray(0, 3 + 3 + 1),
        'truncated',
      ],
      ['an empty transaction', rawFrame(txBatchVersion, 1, [[0, new Uint8Array(3)]]), 'bad-tx-length'],
      [
        'a transaction above txBytesMax',
        rawFrame(txBatchVersion, 1, [[txBytesMax + 1, tx(1, txBytesMax + 1)]]),
        'bad-tx-length',
      ],
      ['a length prefix shorter than its body', rawFrame(txBatchVersion, 1, [[99, body]]), 'trailing-bytes'],
      ['a byte after the last transaction', Uint8Array.of(...encodeTxBatch([body]), 0), 'trailing-bytes'],
      ['a frame above txBatchFrameBytesMax', new Uint8Array(txBatchFrameBytesMax + 1), 'too-many-bytes'],
    ]
    for (const [what, frame, reason] of shapes) {
      expect(rejectionOf(frame), what).toBe(reason)
    }
  })

  it('a TxBatchDecodeError is a DecodeError, with a code callers already know', () => {
    try {
      decodeTxBatch(Uint8Array.of(9, 0, 1))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(DecodeError)
      expect(error).toBeInstanceOf(TxBatchDecodeError)
      expect((error as TxBatchDecodeError).code).toBe('unknown-version')
      expect((error as TxBatchDecodeError).name).toBe('TxBatchDecodeError')
    }
  })

  it('any bytes: a TxBatchDecodeError, or transactions that re-encode to exactly those bytes', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 4_096 }),
      // Mostly well-formed: a valid frame with bytes changed, cut or added.
      fc
        .tuple(arbitraryBatch, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 4 }))
        .map(([txs, at, value, extra]) => {
          const frame = encodeTxBatch(txs)
          const mutated = Uint8Array.of(...frame, ...extra)
          mutated[at % mutated.length] = value
          return mutated.subarray(0, mutated.length - (at % 3))
        }),
    )
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        let txs: Uint8Array[]
        try {
          txs = decodeTxBatch(bytes)
        } catch (error) {
          if (error instanceof TxBatchDecodeError) return
          throw new Error(`decodeTxBatch threw something other than a TxBatchDecodeError: ${String(error)}`, {
            cause: error,
          })
        }
        expect(encodeTxBatch(txs)).toEqual(Uint8Array.from(bytes))
      }),
      propertyParameters(2_000),
    )
  })
})
