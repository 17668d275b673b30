// Agreement across the honest validators' chains: the same block hash and state root at every height all of
// them have. Pure.

import type { ValidatorChain } from './chain-view.js'

export interface AgreementResult {
  readonly ok: boolean
  readonly detail: string
  /** The heights compared: the lowest honest height. */
  readonly heightsCompared: number
}

export function checkAgreement(chains: readonly ValidatorChain[]): AgreementResult {
  for (const chain of chains) {
    chain.blocks.forEach((block, position) => {
      if (block.height !== position + 1)
        throw new Error(`validator ${chain.validator}: blocks[${position}] is height ${block.height}`)
    })
  }
  if (chains.length === 0) return { ok: false, detail: 'no honest validator was read', heightsCompared: 0 }
  const heightsCompared = Math.min(...chains.map((chain) => chain.blocks.length))
  const who = chains.map((chain) => chain.validator).join(', ')
  if (chains.length === 1) {
    return {
      ok: true,
      detail: `only validator ${who} was read: nothing to compare its ${heightsCompared} blocks with`,
      heightsCompared,
    }
  }
  for (let position = 0; position < heightsCompared; position++) {
    const groups = new Map<string, number[]>()
    for (const chain of chains) {
      const block = chain.blocks[position]!
      const key = `block ${block.hash}, state root ${block.stateRoot}`
      groups.set(key, [...(groups.get(key) ?? []), chain.validator])
    }
    if (groups.size > 1) {
      const sides = [...groups].map(([key, validators]) => `validator ${validators.join(', ')}: ${key}`)
      return {
        ok: false,
        detail: `validators disagree at height ${position + 1}: ${sides.join('; ')}`,
        heightsCompared,
      }
    }
  }
  return {
    ok: true,
    detail: `validators ${who} agree on every block hash and state root up to height ${heightsCompared}`,
    heightsCompared,
  }
}
