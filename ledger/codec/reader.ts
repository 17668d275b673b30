import { DecodeError } from './errors.js'

/**
 * Reads big-endian fixed-width fields from untrusted bytes. Every read checks the remaining length first,
 * and list readers check the count against both a maximum and the bytes left before anything is allocated.
 * Only DecodeError ever leaves a Reader.
 */
export class Reader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #offset = 0

  constructor(bytes: Uint8Array) {
    // A plain Uint8Array view, even over a Buffer: Buffer#slice returns a view, not a copy, and decoded values
    // must be neither Buffers nor aliases of the input.
    this.#bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get offset(): number {
    return this.#offset
  }

  get remainingBytes(): number {
    return this.#bytes.length - this.#offset
  }

  /** Throws 'truncated' unless at least `bytes` remain. */
  need(bytes: number, what: string): void {
    if (bytes > this.remainingBytes) {
      throw new DecodeError('truncated', `${what}: needs ${bytes} bytes, ${this.remainingBytes} left`)
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what)
    const value = this.#view.getUint8(this.#offset)
    this.#offset += 1
    return value
  }

  u16(what = 'u16'): number {
    this.need(2, what)
    const value = this.#view.getUint16(this.#offset)
    this.#offset += 2
    return value
  }

  u32(what = 'u32'): number {
    this.need(4, what)
    const value = this.#view.getUint32(this.#offset)
    this.#offset += 4
    return value
  }

  /** A u64 that must fit a JS number exactly (≤ Number.MAX_SAFE_INTEGER), else 'invalid-field'. */
  u64(what = 'u64'): number {
    this.need(8, what)
    const high = this.#view.getUint32(this.#offset)
    const low = this.#view.getUint32(this.#offset + 4)
    // MAX_SAFE_INTEGER = 2^53 - 1, so the high word may use at most 21 bits.
    if (high > 0x1f_ffff) throw new DecodeError('invalid-field', `${what}: exceeds Number.MAX_SAFE_INTEGER`)
    this.#offset += 8
    return high * 2 ** 32 + low
  }

  u64BigInt(what = 'u64'): bigint {
    this.need(8, what)
    const value = this.#view.getBigUint64(this.#offset)
    this.#offset += 8
    return value
  }

  /** A copy of the next `length` bytes, so decoded values never alias the input buffer. */
  bytes(length: number, what = 'bytes'): Uint8Array {
    this.need(length, what)
    const value = this.#bytes.slice(this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }

  /**
   * A list length: 'too-large' above `countMax`, 'truncated' if even the smallest entries could not fit,
   * both checked before the caller allocates anything.
   */
  count(width: 'u16' | 'u32', countMax: number, entryBytesMin: number, what: string): number {
    const count = width === 'u16' ? this.u16(what) : this.u32(what)
    if (count > countMax) throw new DecodeError('too-large', `${what}: ${count} entries, max ${countMax}`)
    this.need(count * entryBytesMin, what)
    return count
  }

  /** Throws 'trailing-bytes' unless the whole input was consumed. */
  end(what = 'input'): void {
    if (this.remainingBytes !== 0) {
      throw new DecodeError('trailing-bytes', `${what}: ${this.remainingBytes} bytes after the end`)
    }
  }
}
