import type { StepContext } from './context.js'
import { withEntry } from './context.js'
import type { Evidence } from './types.js'

/**
 * Records each misbehaviour once (per kind, view and offender). Keys are kept per view and pruned with the view
 * window, so an insert copies only the keys of one view (at most three kinds times n offenders), never every key
 * ever seen.
 */
export function recordEvidence(context: StepContext, evidence: Evidence, offender: number): void {
  const key = `${evidence.kind}:${offender}`
  const { evidenceKeys } = context.state
  const ofView = evidenceKeys.get(evidence.view)
  if (ofView?.has(key)) return
  const updated = new Set(ofView)
  updated.add(key)
  context.update({ evidenceKeys: withEntry(evidenceKeys, evidence.view, updated) })
  context.emit({ kind: 'record-evidence', evidence })
}
