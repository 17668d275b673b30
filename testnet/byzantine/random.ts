// A fixture's only source of randomness is `context.random` (seeded in the simulator), so a run replays exactly.

export type Random = () => number

/** Uniform integer in [0, countExclusive). */
export function randomInt(random: Random, countExclusive: number): number {
  if (!Number.isSafeInteger(countExclusive) || countExclusive <= 0) {
    throw new RangeError(`randomInt: count must be a positive integer, got ${countExclusive}`)
  }
  return Math.min(countExclusive - 1, Math.floor(random() * countExclusive))
}

export function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = randomInt(random, 256)
  return bytes
}

/** A Fisher–Yates shuffle into a new array. */
export function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const result = [...items]
  for (let i = result.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1)
    const swap = result[i] as T
    result[i] = result[j] as T
    result[j] = swap
  }
  return result
}

export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: no items to choose from')
  return items[randomInt(random, items.length)] as T
}

/** A copy of `bytes` with exactly one bit flipped, at a random position. */
export function withOneBitFlipped(random: Random, bytes: Uint8Array): Uint8Array {
  const result = bytes.slice()
  const bit = randomInt(random, bytes.length * 8)
  result[bit >> 3] = (result[bit >> 3] as number) ^ (1 << (bit & 7))
  return result
}
