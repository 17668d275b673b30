// A scenario step's validator references resolved against the lab at the moment the step runs: `leader` (the
// leader the honest validators in the highest view expect), `others` (everyone but the step's leader or
// `from`), `killed` / `paused` (the one validator in that state).

import type { FaultLab } from './fault-lab.js'
import { LabRequestError } from './lab-error.js'

export function currentLeader(lab: FaultLab): number {
  let best: { view: number; leader: number } | undefined
  for (const validator of lab.validators) {
    const { status } = validator
    if (validator.fixture !== null || status?.leader === undefined) continue
    if (best === undefined || status.view > best.view) best = { view: status.view, leader: status.leader }
  }
  if (best === undefined) throw new LabRequestError('conflict', 'no honest validator reports a leader now')
  return best.leader
}

export function resolveStep(
  lab: FaultLab,
  command: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  let leader: number | undefined
  const one = (ref: unknown): number => {
    if (typeof ref === 'number') return ref
    if (ref === 'leader') {
      leader ??= currentLeader(lab)
      return leader
    }
    if (ref === 'killed' || ref === 'paused') {
      const inState = lab.validators.filter((validator) => validator.process === ref)
      if (inState.length !== 1) {
        throw new LabRequestError(
          'conflict',
          `"${ref}" needs exactly one ${ref} validator; there are ${inState.length}`,
        )
      }
      return inState[0]!.index
    }
    throw new LabRequestError('bad-request', `not a validator reference here: ${JSON.stringify(ref)}`)
  }
  const many = (refs: unknown, excluded: readonly number[]): number[] =>
    (Array.isArray(refs) ? refs : [refs]).flatMap((ref) =>
      ref === 'others'
        ? lab.validators.map((validator) => validator.index).filter((index) => !excluded.includes(index))
        : [one(ref)],
    )
  const resolved: Record<string, unknown> = { ...command }
  if (command.validator !== undefined) resolved.validator = one(command.validator)
  if (command.from !== undefined) {
    resolved.from = Array.isArray(command.from) ? many(command.from, []) : one(command.from)
  }
  if (command.to !== undefined) {
    const from = Array.isArray(resolved.from) ? (resolved.from as number[]) : [resolved.from as number]
    resolved.to = Array.isArray(command.to) ? many(command.to, from) : one(command.to)
  }
  if (Array.isArray(command.groups)) {
    resolved.groups = command.groups.map((group) => many(group, leader === undefined ? [] : [leader]))
  }
  return resolved
}
