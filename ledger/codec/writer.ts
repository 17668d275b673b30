import { EncodeError } from './errors.js'

const u64Max = (1n << 64n) - 1n
const writerCapacityBytesInitial = 256

/**
 * A growable buffer of big-endian fixed-width fields. Every write checks its value, so an encoder can never
 * emit bytes that its decoder would reject (which would break `encode(decode(bytes)) = bytes`).
 */
export class Writer {
  #buffer: Uint8Array
  #view: DataView
  #length = 0

  constructor(capacityBytes: number = writerCapacityBytesInitial) {
    this.#buffer = new Uint8Array(Math.max(16, capacityBytes))
    this.#view = new DataView(this.#buffer.buffer)
  }

  get length(): number {
    return this.#length
  }

  u8(value: number, what = 'u8'): this {
    checkUnsigned(value, 0xff, what)
    this.#reserve(1)
    this.#view.setUint8(this.#length, value)
    this.#length += 1
    return this
  }

  u16(value: number, what = 'u16'): this {
    checkUnsigned(value, 0xffff, what)
    this.#reserve(2)
    this.#view.setUint16(this.#length, value)
    this.#length += 2
    return this
  }

  u32(value: number, what = 'u32'): this {
    checkUnsigned(value, 0xffff_ffff, what)
    this.#reserve(4)
    this.#view.setUint32(this.#length, value)
    this.#length += 4
    return this
  }

  /** A u64 held in a JS number: must be a safe integer, the decoder rejects anything larger. */
  u64(value: number, what = 'u64'): this {
    checkUnsigned(value, Number.MAX_SAFE_INTEGER, what)
    this.#reserve(8)
    this.#view.setUint32(this.#length, Math.floor(value / 2 ** 32))
    this.#view.setUint32(this.#length + 4, value % 2 ** 32)
    this.#length += 8
    return this
  }

  u64BigInt(value: bigint, what = 'u64'): this {
    if (typeof value !== 'bigint' || value < 0n || value > u64Max) {
      throw new EncodeError(`${what}: expected a bigint in [0, 2^64), got ${String(value)}`)
    }
    this.#reserve(8)
    this.#view.setBigUint64(this.#length, value)
    this.#length += 8
    return this
  }

  /** Raw bytes with no length prefix; `lengthExpected` pins fixed-size fields (hashes, keys, signatures). */
  bytes(value: Uint8Array, lengthExpected?: number, what = 'bytes'): this {
    if (!(value instanceof Uint8Array)) throw new EncodeError(`${what}: expected a Uint8Array`)
    if (lengthExpected !== undefined && value.length !== lengthExpected) {
      throw new EncodeError(`${what}: expected ${lengthExpected} bytes, got ${value.length}`)
    }
    this.#reserve(value.length)
    this.#buffer.set(value, this.#length)
    this.#length += value.length
    return this
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length)
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes
    if (needed <= this.#buffer.length) return
    let capacity = this.#buffer.length * 2
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.#buffer.subarray(0, this.#length))
    this.#buffer = grown
    this.#view = new DataView(grown.buffer)
  }
}

function checkUnsigned(value: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new EncodeError(`${what}: expected an integer in [0, ${max}], got ${String(value)}`)
  }
}
