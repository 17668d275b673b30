import type { ConsensusAction, ConsensusState } from './types.js'

/** The working copy of one step: handlers replace fields of `state` (never mutate them) and append actions. */
export class StepContext {
  state: ConsensusState
  readonly actions: ConsensusAction[] = []

  constructor(state: ConsensusState) {
    this.state = state
  }

  update(patch: Partial<ConsensusState>): void {
    this.state = { ...this.state, ...patch }
  }

  emit(action: ConsensusAction): void {
    this.actions.push(action)
  }

  get self(): number {
    return this.state.config.selfIndex
  }

  get validatorCount(): number {
    return this.state.config.validators.length
  }
}

/** Copy-on-write helpers for the nested maps in the state. */
export function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): Map<K, V> {
  const copy = new Map(map)
  copy.set(key, value)
  return copy
}

export function filterMap<K, V>(map: ReadonlyMap<K, V>, keep: (key: K, value: V) => boolean): Map<K, V> {
  const copy = new Map<K, V>()
  for (const [key, value] of map) if (keep(key, value)) copy.set(key, value)
  return copy
}
