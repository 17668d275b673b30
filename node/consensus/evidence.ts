import type { StepContext } from './context.js'
import type { Evidence } from './types.js'

/** Records each misbehaviour once (per kind, view and offender). */
export function recordEvidence(context: StepContext, evidence: Evidence, offender: number): void {
  const key = `${evidence.kind}:${evidence.view}:${offender}`
  if (context.state.evidenceKeys.has(key)) return
  context.update({ evidenceKeys: new Set([...context.state.evidenceKeys, key]) })
  context.emit({ kind: 'record-evidence', evidence })
}
