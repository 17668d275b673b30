// The links a fault lab wants between a testnet's validators: which directions are cut, delayed or lossy.
// Pure: the lab turns it into each validator's `unsafe_set_link_faults` call (applied by the sender).

import { LabRequestError } from './lab-error.js'

export interface LinkState {
  readonly cut: boolean
  readonly delayMs: number
  readonly dropRate: number
}

export interface LinkEntry extends LinkState {
  readonly from: number
  readonly to: number
}

const plainLink: LinkState = { cut: false, delayMs: 0, dropRate: 0 }

export class LinkPlan {
  readonly #links = new Map<string, LinkEntry>()

  constructor(readonly validatorCount: number) {}

  /** Changes one direction; a link left plain is forgotten. */
  set(from: number, to: number, change: Partial<LinkState>): void {
    this.#checkIndex(from)
    this.#checkIndex(to)
    if (from === to)
      throw new LabRequestError('bad-request', `a link needs two validators, got ${from} → ${to}`)
    const key = `${from}>${to}`
    const next = { ...plainLink, ...this.#links.get(key), ...change, from, to }
    if (!next.cut && next.delayMs === 0 && next.dropRate === 0) this.#links.delete(key)
    else this.#links.set(key, next)
  }

  /** Cuts every link, both ways, between validators of different groups; the unlisted are alone. */
  partition(groups: readonly (readonly number[])[]): void {
    const groupOf = new Map<number, number>()
    groups.forEach((group, groupIndex) => {
      for (const index of group) {
        this.#checkIndex(index)
        if (groupOf.has(index)) {
          throw new LabRequestError('bad-request', `validator ${index} is in more than one group`)
        }
        groupOf.set(index, groupIndex)
      }
    })
    let alone = groups.length
    for (let index = 0; index < this.validatorCount; index++)
      if (!groupOf.has(index)) groupOf.set(index, alone++)
    for (let from = 0; from < this.validatorCount; from++) {
      for (let to = 0; to < this.validatorCount; to++) {
        if (from !== to && groupOf.get(from) !== groupOf.get(to)) this.set(from, to, { cut: true })
      }
    }
  }

  /** Cuts the links from each of `from` to each of `to`, one way. */
  cutOneWay(from: readonly number[], to: readonly number[]): void {
    for (const index of [...from, ...to]) this.#checkIndex(index)
    for (const sender of from)
      for (const receiver of to) if (sender !== receiver) this.set(sender, receiver, { cut: true })
  }

  heal(): void {
    this.#links.clear()
  }

  entries(): LinkEntry[] {
    return [...this.#links.values()].sort((a, b) => a.from - b.from || a.to - b.to)
  }

  /** What validator `from` applies to its own outgoing frames. */
  outgoing(from: number): Array<{ peer: number; cut: boolean; delay_ms: number; drop_rate: number }> {
    return this.entries()
      .filter((link) => link.from === from)
      .map((link) => ({ peer: link.to, cut: link.cut, delay_ms: link.delayMs, drop_rate: link.dropRate }))
  }

  /** One phrase per faulty link; a link faulty the same way in both directions is named once, with ↔. */
  describe(): string[] {
    const phrases: string[] = []
    for (const link of this.entries()) {
      const reverse = this.#links.get(`${link.to}>${link.from}`)
      const symmetric = reverse !== undefined && sameState(link, reverse)
      if (symmetric && link.to < link.from) continue
      phrases.push(`${link.from}${symmetric ? '↔' : '→'}${link.to} ${describeState(link)}`)
    }
    return phrases
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.validatorCount) {
      throw new LabRequestError(
        'bad-request',
        `no validator ${String(index)}: this testnet has validators 0..${this.validatorCount - 1}`,
      )
    }
  }
}

function sameState(a: LinkState, b: LinkState): boolean {
  return a.cut === b.cut && a.delayMs === b.delayMs && a.dropRate === b.dropRate
}

function describeState(link: LinkState): string {
  if (link.cut) return 'cut'
  const parts: string[] = []
  if (link.delayMs > 0) parts.push(`+${link.delayMs}ms`)
  if (link.dropRate > 0) parts.push(`${Math.round(link.dropRate * 1000) / 10}% lost`)
  return parts.join(' ')
}
