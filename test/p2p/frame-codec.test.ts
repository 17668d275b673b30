import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FramePrefixInvalidError, FrameTooLargeError } from '../../p2p/errors.js'
import { encodeFrame, encodeFramePrefix, FrameDecoder, uvarintLength } from '../../p2p/frame-codec.js'

function decodeAll(frameBytesMax: number, chunks: Uint8Array[]): Uint8Array[] {
  const decoder = new FrameDecoder(frameBytesMax)
  const frames: Uint8Array[] = []
  for (const chunk of chunks) {
    decoder.push(chunk, (frame) => frames.push(frame))
  }
  expect(decoder.hasPartialFrame()).toBe(false)
  return frames
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    total.set(part, offset)
    offset += part.byteLength
  }
  return total
}

/** Splits `bytes` at the given cut points (taken modulo the length). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => (bytes.byteLength === 0 ? 0 : cut % bytes.byteLength)))].sort(
    (a, b) => a - b,
  )
  const chunks: Uint8Array[] = []
  let start = 0
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(start, point))
    start = point
  }
  return chunks
}

describe('frame codec', () => {
  it('uvarint lengths match the multiformats encoding (7 bits per byte)', () => {
    expect(uvarintLength(0)).toBe(1)
    expect(uvarintLength(127)).toBe(1)
    expect(uvarintLength(128)).toBe(2)
    expect(uvarintLength(16_383)).toBe(2)
    expect(uvarintLength(16_384)).toBe(3)
    expect([...encodeFramePrefix(300)]).toEqual([0xac, 0x02])
  })

  it('any frames up to the maximum, cut into any chunks, decode to the same frames in order', () => {
    const frameBytesMax = 700
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: frameBytesMax }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, cuts) => {
          const wire = concat(frames.map(encodeFrame))
          expect(decodeAll(frameBytesMax, split(wire, cuts))).toEqual(frames)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('accepts a frame of exactly frameBytesMax and rejects one byte more from the prefix alone', () => {
    const frameBytesMax = 1000
    const exact = new Uint8Array(frameBytesMax).fill(7)
    expect(decodeAll(frameBytesMax, [encodeFrame(exact)])).toEqual([exact])

    const decoder = new FrameDecoder(frameBytesMax)
    // Only the prefix is fed: the check must not wait for (or allocate) the body.
    expect(() => decoder.push(encodeFramePrefix(frameBytesMax + 1), () => {})).toThrow(FrameTooLargeError)
  })

  it('rejects a huge declared length after the first prefix byte that proves it too large', () => {
    const decoder = new FrameDecoder(100)
    // 0xff: low 7 bits already 127 > 100, continuation set; nothing after it is needed.
    expect(() => decoder.push(Uint8Array.of(0xff), () => {})).toThrow(FrameTooLargeError)
  })

  it('rejects a prefix longer than any allowed length needs, even if its value bits are zero', () => {
    const decoder = new FrameDecoder(100)
    expect(() => decoder.push(Uint8Array.of(0x80), () => {})).toThrow(FrameTooLargeError)
  })

  it('rejects a non-minimal length prefix', () => {
    const decoder = new FrameDecoder(100_000)
    expect(() => decoder.push(Uint8Array.of(0x85, 0x00), () => {})).toThrow(FramePrefixInvalidError)
  })

  it('delivers the frames before a bad prefix in the same chunk, then stops', () => {
    const decoder = new FrameDecoder(10)
    const frames: Uint8Array[] = []
    const chunk = concat([encodeFrame(Uint8Array.of(1, 2)), encodeFramePrefix(11), new Uint8Array(11)])
    expect(() => decoder.push(chunk, (frame) => frames.push(frame))).toThrow(FrameTooLargeError)
    expect(frames).toEqual([Uint8Array.of(1, 2)])
  })

  it('reports a partial frame when input stops inside one', () => {
    const decoder = new FrameDecoder(10)
    decoder.push(encodeFrame(Uint8Array.of(1, 2, 3)).subarray(0, 2), () => {})
    expect(decoder.hasPartialFrame()).toBe(true)
  })

  it('skips a refused frame without allocating its body and stays in sync, however the input is cut', () => {
    const frameBytesMax = 300
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: frameBytesMax }), fc.boolean()), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (framesAndVerdicts, cuts) => {
          const wire = concat(framesAndVerdicts.map(([frame]) => encodeFrame(frame)))
          const asked: number[] = []
          const verdicts = framesAndVerdicts.map(([, admitted]) => admitted)
          const decoder = new FrameDecoder(frameBytesMax, (frameBytes) => {
            asked.push(frameBytes)
            return verdicts[asked.length - 1]!
          })
          const frames: Uint8Array[] = []
          for (const chunk of split(wire, cuts)) {
            decoder.push(chunk, (frame) => frames.push(frame))
          }
          expect(decoder.hasPartialFrame()).toBe(false)
          expect(asked).toEqual(framesAndVerdicts.map(([frame]) => frame.byteLength))
          expect(frames).toEqual(framesAndVerdicts.filter(([, admitted]) => admitted).map(([frame]) => frame))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('checks the maximum before asking for admission, and a stream ending inside a skipped frame is partial', () => {
    const asked: number[] = []
    const decoder = new FrameDecoder(10, (frameBytes) => {
      asked.push(frameBytes)
      return false
    })
    expect(() => decoder.push(encodeFramePrefix(11), () => {})).toThrow(FrameTooLargeError)
    expect(asked).toEqual([])
    const skipping = new FrameDecoder(10, () => false)
    skipping.push(encodeFrame(Uint8Array.of(1, 2, 3)).subarray(0, 2), () => {})
    expect(skipping.hasPartialFrame()).toBe(true)
  })
})
