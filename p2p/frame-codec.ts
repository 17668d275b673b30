// Length-prefixed frames: an unsigned LEB128 varint body length (the multiformats `uvarint`, as written by
// `lpStream` from @libp2p/utils), then the body. The decoder checks the declared length against the protocol's
// maximum as soon as the prefix says too much, before any body byte is read or allocated; an optional admission
// check (flood control) can then refuse the frame, whose body is skipped without being allocated.

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
 * Decides, from its accepted length alone, whether a frame is wanted. A refused frame's body is skipped as it
 * arrives, never allocated; the stream stays in sync.
 */
export type AdmitFrame = (frameBytes: number) => boolean

/**
 * Incremental decoder for one stream. Memory held is at most one frame body of at most `frameBytesMax` bytes,
 * allocated only after its length was accepted (and the frame admitted).
 */
export class FrameDecoder {
  private readonly frameBytesMax: number
  private readonly prefixBytesMax: number
  private readonly admitFrame: AdmitFrame | undefined
  private prefixValue = 0
  private prefixBytesRead = 0
  /** 128 ** prefixBytesRead: the weight of the next prefix byte's 7 bits. */
  private prefixByteWeight = 1
  private body: Uint8Array | undefined
  private bodyBytesRead = 0
  /** Body bytes of a refused frame still to be skipped. */
  private skipBytesRemaining = 0

  constructor(frameBytesMax: number, admitFrame?: AdmitFrame) {
    this.frameBytesMax = frameBytesMax
    this.prefixBytesMax = uvarintLength(frameBytesMax)
    this.admitFrame = admitFrame
  }

  /** True when bytes of an unfinished frame are held: the stream must not end here. */
  hasPartialFrame(): boolean {
    return this.prefixBytesRead > 0 || this.body !== undefined || this.skipBytesRemaining > 0
  }

  /**
   * Feeds received bytes; calls `emit` for each completed frame in order. Throws `FrameTooLargeError` or
   * `FramePrefixInvalidError`; the decoder must then be discarded with its stream.
   */
  push(chunk: Uint8Array, emit: (frame: Uint8Array) => void): void {
    let offset = 0
    while (offset < chunk.byteLength) {
      if (this.skipBytesRemaining > 0) {
        const bytesToSkip = Math.min(this.skipBytesRemaining, chunk.byteLength - offset)
        offset += bytesToSkip
        this.skipBytesRemaining -= bytesToSkip
        continue
      }
      const body = this.body
      if (body === undefined) {
        const byte = chunk[offset++]!
        this.prefixValue += (byte & 0x7f) * this.prefixByteWeight
        this.prefixByteWeight *= 128
        this.prefixBytesRead++
        // The value read so far is a lower bound of the final length: reject as soon as it is too large,
        // or when the prefix would need more bytes than the maximum length takes.
        if (this.prefixValue > this.frameBytesMax) {
          throw new FrameTooLargeError(this.prefixValue, this.frameBytesMax)
        }
        if ((byte & 0x80) !== 0) {
          if (this.prefixBytesRead >= this.prefixBytesMax) {
            throw new FrameTooLargeError(this.prefixByteWeight, this.frameBytesMax)
          }
          continue
        }
        if (byte === 0 && this.prefixBytesRead > 1) {
          throw new FramePrefixInvalidError('frame length prefix is not minimally encoded')
        }
        const frameBytes = this.prefixValue
        this.prefixValue = 0
        this.prefixBytesRead = 0
        this.prefixByteWeight = 1
        if (this.admitFrame !== undefined && !this.admitFrame(frameBytes)) {
          const bytesToSkip = Math.min(frameBytes, chunk.byteLength - offset)
          offset += bytesToSkip
          this.skipBytesRemaining = frameBytes - bytesToSkip
          continue
        }
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
