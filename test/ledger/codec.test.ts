// Targeted cases for the codec: the exact layout of one object, and each way of being malformed mapped to
// the DecodeError code it must produce.

import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import {
  DecodeError,
  type DecodeErrorCode,
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
  EncodeError,
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
  encodeUnsignedTx,
  encodeVote,
  Reader,
  Writer,
} from '../../ledger/codec/index.js'
import {
  blockBytesMax,
  blockTxCountMax,
  consensusFrameBytesMax,
  txBytesMax,
  validatorCountMax,
} from '../../ledger/limits.js'
import type {
  Block,
  BlockHeader,
  Proposal,
  QuorumCertificate,
  Receipt,
  SafetyState,
  Timeout,
  TimeoutCertificate,
  Tx,
  Vote,
} from '../../ledger/types.js'

function filled(length: number, byte: number): Uint8Array {
  return new Uint8Array(length).fill(byte)
}

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replaceAll(' ', ''), 'hex'))
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts))
}

function expectDecodeError(decode: () => unknown, code: DecodeErrorCode): void {
  let thrown: unknown
  try {
    decode()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(DecodeError)
  expect((thrown as DecodeError).code).toBe(code)
}

const tx: Tx = {
  chainId: 'quorate-test',
  from: filled(32, 0xaa),
  nonce: 7,
  body: { kind: 'transfer', to: filled(32, 0xbb), amount: 1_000n },
  signature: filled(64, 0xcc),
}

const qc: QuorumCertificate = {
  view: 9,
  blockHash: filled(32, 0x11),
  signers: [0, 2, 3],
  signatures: [filled(64, 1), filled(64, 2), filled(64, 3)],
}

const tc: TimeoutCertificate = {
  view: 10,
  signers: [1, 2, 3],
  highQCViews: [9, 8, 9],
  signatures: [filled(64, 4), filled(64, 5), filled(64, 6)],
}

const header: BlockHeader = {
  height: 5,
  view: 10,
  parentHash: filled(32, 0x22),
  justify: qc,
  proposer: 2,
  timestampMs: 1_700_000_000_000,
  txRoot: filled(32, 0x33),
  stateRoot: filled(32, 0x44),
}

const block: Block = { header, txs: [tx, { ...tx, nonce: 8 }] }
const vote: Vote = { view: 10, blockHash: filled(32, 0x55), voter: 3, signature: filled(64, 0x66) }
const timeout: Timeout = { view: 11, highQC: qc, sender: 1, signature: filled(64, 0x77) }
const proposal: Proposal = { block, lastViewTC: tc, signature: filled(64, 0x88) }
const safetyState: SafetyState = { lastVotedView: 11, preferredView: 8, highQC: qc, lastTimeout: timeout }
const receipt: Receipt = { txHash: filled(32, 0x99), code: 2, log: 'insufficient funds: ünïcødé ✓' }

describe('layout', () => {
  it('encodes a vote as version | view u64 | blockHash | voter u16 | signature, big-endian', () => {
    expect(toHex(encodeVote(vote))).toBe(
      `01 000000000000000a ${'55'.repeat(32)} 0003 ${'66'.repeat(64)}`.replaceAll(' ', ''),
    )
  })

  it('encodes a tx as version | chainId | from | nonce | kind | to | amount | signature', () => {
    const expected = `01 0c ${toHex(Buffer.from('quorate-test'))} ${'aa'.repeat(32)} 0000000000000007 01 ${'bb'.repeat(32)} 00000000000003e8`
    expect(toHex(encodeUnsignedTx(tx))).toBe(expected.replaceAll(' ', ''))
    expect(toHex(encodeTx(tx))).toBe(`${expected}${'cc'.repeat(64)}`.replaceAll(' ', ''))
  })

  it('embeds nested objects byte for byte as their own top-level encodings', () => {
    const blockBytes = encodeBlock(block)
    const headerBytes = encodeBlockHeader(header)
    expect(blockBytes.subarray(1, 1 + headerBytes.length)).toEqual(headerBytes)
    expect(toHex(blockBytes)).toContain(toHex(encodeTx(tx)))
    expect(toHex(encodeTimeout(timeout))).toContain(toHex(encodeQC(qc)))
  })

  it('prefixes consensus messages with their kind byte', () => {
    expect(encodeConsensusMessage({ kind: 'proposal', proposal })).toEqual(
      concat(Uint8Array.of(1), encodeProposal(proposal)),
    )
    expect(encodeConsensusMessage({ kind: 'vote', vote })).toEqual(concat(Uint8Array.of(2), encodeVote(vote)))
    expect(encodeConsensusMessage({ kind: 'timeout', timeout })).toEqual(
      concat(Uint8Array.of(3), encodeTimeout(timeout)),
    )
  })

  it('round-trips every sample object', () => {
    expect(decodeTx(encodeTx(tx))).toStrictEqual(tx)
    expect(decodeQC(encodeQC(qc))).toStrictEqual(qc)
    expect(decodeTC(encodeTC(tc))).toStrictEqual(tc)
    expect(decodeBlockHeader(encodeBlockHeader(header))).toStrictEqual(header)
    expect(decodeBlock(encodeBlock(block))).toStrictEqual(block)
    expect(decodeVote(encodeVote(vote))).toStrictEqual(vote)
    expect(decodeTimeout(encodeTimeout(timeout))).toStrictEqual(timeout)
    expect(decodeProposal(encodeProposal(proposal))).toStrictEqual(proposal)
    const withoutTC: Proposal = { ...proposal, lastViewTC: null }
    expect(decodeProposal(encodeProposal(withoutTC))).toStrictEqual(withoutTC)
    expect(decodeSafetyState(encodeSafetyState(safetyState))).toStrictEqual(safetyState)
    const fresh: SafetyState = { ...safetyState, lastTimeout: null }
    expect(decodeSafetyState(encodeSafetyState(fresh))).toStrictEqual(fresh)
    expect(decodeAccount(encodeAccount({ balance: 5n, nonce: 1 }))).toStrictEqual({ balance: 5n, nonce: 1 })
    expect(decodeReceipt(encodeReceipt(receipt))).toStrictEqual(receipt)
  })

  it('returns bytes that do not alias the input buffer', () => {
    const bytes = encodeVote(vote)
    const decoded = decodeVote(bytes)
    bytes.fill(0)
    expect(decoded.signature).toEqual(filled(64, 0x66))
  })

  it('decodes a Node Buffer into plain, unaliased Uint8Arrays', () => {
    const buffer = Buffer.from(encodeVote(vote))
    const decoded = decodeVote(buffer)
    buffer.fill(0)
    expect(decoded).toStrictEqual(vote)
    expect(Buffer.isBuffer(decoded.blockHash)).toBe(false)
  })

  it('decodes from a view into a larger buffer (non-zero byteOffset)', () => {
    const bytes = encodeVote(vote)
    const padded = concat(filled(3, 0xee), bytes)
    expect(decodeVote(padded.subarray(3))).toStrictEqual(vote)
  })
})

describe('trailing bytes and truncation', () => {
  const samples: [string, Uint8Array, (bytes: Uint8Array) => unknown][] = [
    ['tx', encodeTx(tx), decodeTx],
    ['QC', encodeQC(qc), decodeQC],
    ['TC', encodeTC(tc), decodeTC],
    ['header', encodeBlockHeader(header), decodeBlockHeader],
    ['block', encodeBlock(block), decodeBlock],
    ['vote', encodeVote(vote), decodeVote],
    ['timeout', encodeTimeout(timeout), decodeTimeout],
    ['proposal', encodeProposal(proposal), decodeProposal],
    ['message', encodeConsensusMessage({ kind: 'proposal', proposal }), decodeConsensusMessage],
    ['safety state', encodeSafetyState(safetyState), decodeSafetyState],
    ['account', encodeAccount({ balance: 1n, nonce: 2 }), decodeAccount],
    ['receipt', encodeReceipt(receipt), decodeReceipt],
  ]

  // A vote and an account have one fixed size, which is also their bound: a longer input is too-large
  // before parsing starts. Every variable-size object reads to its end and finds the extra byte.
  const fixedSize = new Set(['vote', 'account'])

  it.each(samples)(
    '%s: one extra byte is trailing-bytes (too-large for fixed sizes)',
    (name, bytes, decode) => {
      const code = fixedSize.has(name) ? 'too-large' : 'trailing-bytes'
      expectDecodeError(() => decode(concat(bytes, Uint8Array.of(0))), code)
    },
  )

  it('reports trailing-bytes for a vote inside a consensus message', () => {
    const voteMessage = concat(Uint8Array.of(2), encodeVote(vote), Uint8Array.of(0))
    expectDecodeError(() => decodeConsensusMessage(voteMessage), 'trailing-bytes')
  })

  it.each(samples)('%s: every proper prefix is truncated', (_name, bytes, decode) => {
    for (let length = 0; length < bytes.length; length++) {
      expectDecodeError(() => decode(bytes.subarray(0, length)), 'truncated')
    }
  })
})

describe('versions and kinds', () => {
  it('rejects an unknown top-level version', () => {
    for (const version of [0, 2, 0xff]) {
      const bytes = encodeVote(vote)
      bytes[0] = version
      expectDecodeError(() => decodeVote(bytes), 'unknown-version')
    }
  })

  it('rejects an unknown version of a nested object (the justify QC inside a header)', () => {
    const bytes = encodeBlockHeader(header)
    bytes[1 + 8 + 8 + 32] = 2
    expectDecodeError(() => decodeBlockHeader(bytes), 'unknown-version')
  })

  it('rejects unknown consensus message kinds', () => {
    for (const kind of [0, 5, 0xff]) {
      expectDecodeError(
        () => decodeConsensusMessage(concat(Uint8Array.of(kind), encodeVote(vote))),
        'unknown-kind',
      )
    }
  })

  it('rejects a message whose kind does not match its object', () => {
    // Read as a timeout, the vote's blockHash byte (0x55) lands where the highQC's version should be.
    expectDecodeError(
      () => decodeConsensusMessage(concat(Uint8Array.of(3), encodeVote(vote))),
      'unknown-version',
    )
  })

  it('rejects an unknown tx body kind', () => {
    const bytes = encodeTx(tx)
    bytes[1 + 1 + tx.chainId.length + 32 + 8] = 2
    expectDecodeError(() => decodeTx(bytes), 'unknown-kind')
  })

  it('rejects a presence flag other than 0 or 1', () => {
    const bytes = encodeProposal(proposal)
    const flagOffset = 1 + encodeBlock(block).length
    expect(bytes[flagOffset]).toBe(1)
    bytes[flagOffset] = 2
    expectDecodeError(() => decodeProposal(bytes), 'invalid-field')
  })
})

describe('signer lists', () => {
  function qcBytes(signers: number[]): Uint8Array {
    const writer = new Writer().u8(1).u64(9).bytes(filled(32, 0x11)).u16(signers.length)
    for (const signer of signers) writer.u16(signer).bytes(filled(64, 7))
    return writer.finish()
  }

  it('accepts strictly increasing signers', () => {
    expect(decodeQC(qcBytes([0, 5, 255])).signers).toEqual([0, 5, 255])
    expect(decodeQC(qcBytes([])).signers).toEqual([])
  })

  it('rejects unsorted signers', () => {
    expectDecodeError(() => decodeQC(qcBytes([3, 1])), 'invalid-field')
  })

  it('rejects a repeated signer', () => {
    expectDecodeError(() => decodeQC(qcBytes([2, 2])), 'invalid-field')
  })

  it('rejects a signer index outside the validator set bound', () => {
    expectDecodeError(() => decodeQC(qcBytes([0, validatorCountMax])), 'invalid-field')
  })

  it('rejects unsorted TC signers', () => {
    const writer = new Writer().u8(1).u64(10).u16(2)
    writer.u16(4).u64(1).bytes(filled(64, 1))
    writer.u16(3).u64(1).bytes(filled(64, 1))
    expectDecodeError(() => decodeTC(writer.finish()), 'invalid-field')
  })

  it('rejects a voter index outside the validator set bound', () => {
    const bytes = new Writer().u8(1).u64(1).bytes(filled(32, 0)).u16(validatorCountMax).bytes(filled(64, 0))
    expectDecodeError(() => decodeVote(bytes.finish()), 'invalid-field')
  })

  it('refuses to encode unsorted, repeated or mismatched signer lists', () => {
    expect(() => encodeQC({ ...qc, signers: [3, 2, 0] })).toThrow(EncodeError)
    expect(() => encodeQC({ ...qc, signers: [0, 0, 3] })).toThrow(EncodeError)
    expect(() => encodeQC({ ...qc, signatures: qc.signatures.slice(1) })).toThrow(EncodeError)
    expect(() => encodeTC({ ...tc, highQCViews: [1] })).toThrow(EncodeError)
    expect(() => encodeQC({ ...qc, signers: [0, 2, validatorCountMax] })).toThrow(EncodeError)
  })

  it('round-trips a QC signed by every possible validator', () => {
    const signers = Array.from({ length: validatorCountMax }, (_, index) => index)
    const full: QuorumCertificate = { ...qc, signers, signatures: signers.map((index) => filled(64, index)) }
    expect(decodeQC(encodeQC(full))).toStrictEqual(full)
  })
})

describe('sizes', () => {
  it('rejects a signer count above validatorCountMax as too-large', () => {
    const bytes = new Writer()
      .u8(1)
      .u64(9)
      .bytes(filled(32, 0))
      .u16(validatorCountMax + 1)
      .finish()
    expectDecodeError(() => decodeQC(bytes), 'too-large')
  })

  it('rejects a tx count above blockTxCountMax as too-large, before reading any tx', () => {
    const bytes = new Writer()
      .u8(1)
      .bytes(encodeBlockHeader(header))
      .u32(blockTxCountMax + 1)
      .finish()
    expectDecodeError(() => decodeBlock(bytes), 'too-large')
    const huge = new Writer().u8(1).bytes(encodeBlockHeader(header)).u32(0xffff_ffff).finish()
    expectDecodeError(() => decodeBlock(huge), 'too-large')
  })

  it('rejects a count the remaining bytes cannot hold as truncated, before allocating', () => {
    const bytes = new Writer().u8(1).bytes(encodeBlockHeader(header)).u32(blockTxCountMax).finish()
    expectDecodeError(() => decodeBlock(bytes), 'truncated')
  })

  it('rejects inputs over the type bound before parsing', () => {
    expectDecodeError(() => decodeTx(new Uint8Array(txBytesMax + 1)), 'too-large')
    expectDecodeError(() => decodeBlock(new Uint8Array(blockBytesMax + 1)), 'too-large')
    expectDecodeError(() => decodeConsensusMessage(new Uint8Array(consensusFrameBytesMax + 1)), 'too-large')
  })

  it('lets a caller tighten, but never loosen, the bound', () => {
    const bytes = encodeVote(vote)
    expectDecodeError(() => decodeVote(bytes, bytes.length - 1), 'too-large')
    expect(decodeVote(bytes, bytes.length)).toStrictEqual(vote)
    expectDecodeError(() => decodeTx(new Uint8Array(txBytesMax + 1), txBytesMax * 2), 'too-large')
  })

  it('rejects a chain id longer than chainIdBytesMax as too-large', () => {
    const bytes = new Writer().u8(1).u8(65).bytes(filled(65, 0x61)).finish()
    expectDecodeError(() => decodeTx(bytes), 'too-large')
  })

  it('rejects a receipt log over 256 bytes as too-large', () => {
    const bytes = new Writer().u8(1).bytes(filled(32, 0)).u8(0).u16(257).bytes(filled(257, 0x61)).finish()
    expectDecodeError(() => decodeReceipt(bytes), 'too-large')
    expect(() => encodeReceipt({ ...receipt, log: 'x'.repeat(257) })).toThrow(EncodeError)
    expect(decodeReceipt(encodeReceipt({ ...receipt, log: 'x'.repeat(256) })).log).toHaveLength(256)
  })

  it('fits a block of blockTxCountMax largest txs within blockBytesMax', () => {
    const largestTx: Tx = { ...tx, chainId: 'c'.repeat(64), nonce: Number.MAX_SAFE_INTEGER }
    const fullBlock: Block = { header, txs: Array.from({ length: blockTxCountMax }, () => largestTx) }
    const bytes = encodeBlock(fullBlock)
    expect(bytes.length).toBeLessThanOrEqual(blockBytesMax)
    expect(decodeBlock(bytes)).toStrictEqual(fullBlock)
    expect(() => encodeBlock({ header, txs: [...fullBlock.txs, largestTx] })).toThrow(EncodeError)
  })
})

describe('integers', () => {
  function voteWithView(high: number, low: number): Uint8Array {
    const writer = new Writer().u8(1).u32(high).u32(low)
    return writer.bytes(filled(32, 0)).u16(0).bytes(filled(64, 0)).finish()
  }

  it('accepts Number.MAX_SAFE_INTEGER and rejects anything above it as invalid-field', () => {
    expect(decodeVote(voteWithView(0x1f_ffff, 0xffff_ffff)).view).toBe(Number.MAX_SAFE_INTEGER)
    expectDecodeError(() => decodeVote(voteWithView(0x20_0000, 0)), 'invalid-field')
    expectDecodeError(() => decodeVote(voteWithView(0xffff_ffff, 0xffff_ffff)), 'invalid-field')
  })

  it('refuses to encode unsafe, negative or fractional numbers', () => {
    for (const view of [2 ** 53, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => encodeVote({ ...vote, view })).toThrow(EncodeError)
    }
  })

  it('carries amounts as the full u64 range, and refuses amounts outside it', () => {
    const maxAmount: Tx = { ...tx, body: { ...tx.body, amount: 2n ** 64n - 1n } }
    expect(decodeTx(encodeTx(maxAmount))).toStrictEqual(maxAmount)
    expect(() => encodeTx({ ...tx, body: { ...tx.body, amount: 2n ** 64n } })).toThrow(EncodeError)
    expect(() => encodeTx({ ...tx, body: { ...tx.body, amount: -1n } })).toThrow(EncodeError)
    expect(() => encodeAccount({ balance: -1n, nonce: 0 })).toThrow(EncodeError)
  })
})

describe('strings and other fields', () => {
  it('rejects chain ids outside [a-z0-9._-] or not starting with [a-z0-9]', () => {
    for (const chainId of ['', 'Quorate', '-x', 'a/b', 'a b', 'ü']) {
      expect(() => encodeTx({ ...tx, chainId })).toThrow(EncodeError)
    }
    const upper = encodeTx(tx)
    upper[2] = 'Q'.charCodeAt(0)
    expectDecodeError(() => decodeTx(upper), 'invalid-field')
    const empty = new Writer().u8(1).u8(0).finish()
    expectDecodeError(() => decodeTx(empty), 'invalid-field')
  })

  it('rejects a receipt log that is not valid UTF-8', () => {
    const bytes = new Writer().u8(1).bytes(filled(32, 0)).u8(0).u16(2).bytes(hex('c328')).finish()
    expectDecodeError(() => decodeReceipt(bytes), 'invalid-field')
    const overlong = new Writer().u8(1).bytes(filled(32, 0)).u8(0).u16(2).bytes(hex('c0af')).finish()
    expectDecodeError(() => decodeReceipt(overlong), 'invalid-field')
  })

  it('keeps a leading byte-order mark in a receipt log (decode then encode gives the same bytes)', () => {
    const withBom: Receipt = { ...receipt, log: '\u{feff}x' }
    const bytes = encodeReceipt(withBom)
    expect(decodeReceipt(bytes)).toStrictEqual(withBom)
    expect(encodeReceipt(decodeReceipt(bytes))).toEqual(bytes)
  })

  it('refuses to encode a log with a lone surrogate (it has no UTF-8 encoding)', () => {
    expect(() => encodeReceipt({ ...receipt, log: 'a\ud800b' })).toThrow(EncodeError)
  })

  it('rejects unknown receipt codes', () => {
    const bytes = encodeReceipt(receipt)
    bytes[1 + 32] = 5
    expectDecodeError(() => decodeReceipt(bytes), 'invalid-field')
    expect(() => encodeReceipt({ ...receipt, code: 9 as Receipt['code'] })).toThrow(EncodeError)
  })

  it('refuses to encode fixed-size fields of the wrong length', () => {
    expect(() => encodeVote({ ...vote, blockHash: filled(31, 0) })).toThrow(EncodeError)
    expect(() => encodeVote({ ...vote, signature: filled(65, 0) })).toThrow(EncodeError)
    expect(() => encodeTx({ ...tx, from: filled(33, 0) })).toThrow(EncodeError)
  })

  it('rejects non-byte input with a DecodeError', () => {
    expectDecodeError(() => decodeVote('01' as unknown as Uint8Array), 'invalid-field')
    expectDecodeError(() => decodeVote(undefined as unknown as Uint8Array), 'invalid-field')
  })
})

describe('Reader', () => {
  it('reports its position and refuses to read past the end', () => {
    const reader = new Reader(Uint8Array.of(0, 1, 2))
    expect(reader.u16()).toBe(1)
    expect(reader.offset).toBe(2)
    expect(reader.remainingBytes).toBe(1)
    expectDecodeError(() => reader.u16(), 'truncated')
    expect(reader.u8()).toBe(2)
    reader.end()
  })
})
