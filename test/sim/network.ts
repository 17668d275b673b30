import type { Prng } from './prng.js'

/** Per-link behaviour of the simulated network. */
export interface LinkProfile {
  readonly delayMsMin: number
  readonly delayMsMax: number
  /** Probability a message is lost. */
  readonly lossProbability: number
  /** Probability a message is delivered twice. */
  readonly duplicateProbability: number
}

export const calmLink: LinkProfile = {
  delayMsMin: 5,
  delayMsMax: 40,
  lossProbability: 0,
  duplicateProbability: 0,
}

/**
 * Which simulated nodes can hear which: directed links can be cut (symmetric and one-way partitions) and healed.
 * Random delays reorder messages; loss and duplication follow the link profile.
 */
export class SimNetwork {
  readonly #prng: Prng
  #profile: LinkProfile
  readonly #cut = new Set<string>()

  constructor(prng: Prng, profile: LinkProfile = calmLink) {
    this.#prng = prng
    this.#profile = profile
  }

  setProfile(profile: LinkProfile): void {
    this.#profile = profile
  }

  /** Cuts every link from a node in `from` to a node in `to` (call twice, swapped, for a symmetric cut). */
  cut(from: readonly number[], to: readonly number[]): void {
    for (const a of from) for (const b of to) if (a !== b) this.#cut.add(`${a}>${b}`)
  }

  /** Isolates the groups from each other, both ways. */
  partition(groups: readonly (readonly number[])[]): void {
    for (const a of groups) for (const b of groups) if (a !== b) this.cut(a, b)
  }

  heal(): void {
    this.#cut.clear()
    this.#profile = calmLink
  }

  isCut(from: number, to: number): boolean {
    return this.#cut.has(`${from}>${to}`)
  }

  /** Delivery delays for one message: none if lost or cut, two if duplicated. */
  deliveries(from: number, to: number): number[] {
    if (this.isCut(from, to)) return []
    const profile = this.#profile
    if (this.#prng.chance(profile.lossProbability)) return []
    const delay = () => this.#prng.int(profile.delayMsMin, profile.delayMsMax)
    return this.#prng.chance(profile.duplicateProbability) ? [delay(), delay()] : [delay()]
  }
}
