// Length-prefixed frames: an unsigned LEB128 varint body length (the multiformats `uvarint`, as written by
// `lpStream` from @libp2p/utils), then the body. The decoder checks the declared length against the protocol's
// maximum as soon as the prefix says too much, before any body byte is read or allocated.

import { FramePrefixInvalidError, FrameTooLargeError } from './errors.js'

/** Bytes needed to encode `value` as an unsigned varint. */
export function uvarintLength(value: number): number {
  let length = 1
  for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) {
    length++
  }
  return length
}

function writeUvarint(value: number, target: Uint8Array): number {
  let offset = 0
  let rest = value
  while (rest >= 128) {
    target[offset++] = (rest % 128) | 0x80
    rest = Math.floor(rest / 128)
  }
  target[offset++] = rest
  return offset
}

/** The bytes that go on the wire for one frame: prefix and body in one buffer, so one `send` writes it whole. */
export function encodeFrame(frame: Uint8Array): Uint8Array {
  const prefixBytes = uvarintLength(frame.byteLength)
  const encoded = new Uint8Array(prefixBytes + frame.byteLength)
  writeUvarint(frame.byteLength, encoded)
  encoded.set(frame, prefixBytes)
  return encoded
}

/** Encodes only a length prefix; tests use it to declare lengths they never send. */
export function encodeFramePrefix(frameBytes: number): Uint8Array {
  const prefix = new Uint8Array(uvarintLength(frameBytes))
  writeUvarint(frameBytes, prefix)
  return prefix
}

/**
 * Incremental decoder for one stream. Memory held is at most one frame body of at most `frameBytesMax` bytes,
 * allocated only after its length was accepted.
 */
export class FrameDecoder {
  private readonly frameBytesMax: number
  private readonly prefixBytesMax: number
  private prefixValue = 0
  private prefixBytesRead = 0
  private body: Uint8Array | undefined
  private bodyBytesRead = 0

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax
    this.prefixBytesMax = uvarintLength(frameBytesMax)
  }

  /** True when bytes of an unfinished frame are held: the stream must not end here. */
  hasPartialFrame(): boolean {
    return this.prefixBytesRead > 0 || this.body !== undefined
  }

  /**
   * Feeds received bytes; calls `emit` for each completed frame in order. Throws `FrameTooLargeError` or
   * `FramePrefixInvalidError`; the decoder must then be discarded with its stream.
   */
  push(chunk: Uint8Array, emit: (frame: Uint8Array) => void): void {
    let offset = 0
    while (offset < chunk.byteLength) {
      const body = this.body
      if (body === undefined) {
        const byte = chunk[offset++]!
        this.prefixValue += (byte & 0x7f) * 2 ** (7 * this.prefixBytesRead)
        this.prefixBytesRead++
        // The value read so far is a lower bound of the final length: reject as soon as it is too large,
        // or when the prefix would need more bytes than the maximum length takes.
        if (this.prefixValue > this.frameBytesMax) {
          throw new FrameTooLargeError(this.prefixValue, this.frameBytesMax)
        }
        if ((byte & 0x80) !== 0) {
          if (this.prefixBytesRead >= this.prefixBytesMax) {
            throw new FrameTooLargeError(2 ** (7 * this.prefixBytesRead), this.frameBytesMax)
          }
          continue
        }
        if (byte === 0 && this.prefixBytesRead > 1) {
          throw new FramePrefixInvalidError('frame length prefix is not minimally encoded')
        }
        const frameBytes = this.prefixValue
        this.prefixValue = 0
        this.prefixBytesRead = 0
        if (frameBytes === 0) {
          emit(new Uint8Array(0))
          continue
        }
        this.body = new Uint8Array(frameBytes)
        this.bodyBytesRead = 0
        continue
      }
      const bytesToCopy = Math.min(body.byteLength - this.bodyBytesRead, chunk.byteLength - offset)
      body.set(chunk.subarray(offset, offset + bytesToCopy), this.bodyBytesRead)
      offset += bytesToCopy
      this.bodyBytesRead += bytesToCopy
      if (this.bodyBytesRead === body.byteLength) {
        this.body = undefined
        this.bodyBytesRead = 0
        emit(body)
      }
    }
  }
}
