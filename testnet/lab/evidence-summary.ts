// What the honest validators hold as evidence at the end of a scenario: per offender, the kinds and counts (the
// union over validators, by evidence id), so a scenario can require that a fault really showed as misbehaviour
// (twins: one key signing two histories).

import { rpcCall } from '../../node/rpc/client.js'

const evidencePageMax = 1_000
const callTimeoutMs = 5_000

export interface EvidenceSummary {
  /** Offender index → evidence kind → how many distinct records. */
  readonly by_offender: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** Validators that answered. */
  readonly read_from: readonly number[]
}

interface EvidenceRecord {
  readonly id: string
  readonly kind: string
  readonly offender: number
}

export async function evidenceSummary(
  validators: ReadonlyArray<{ index: number; rpc: string }>,
): Promise<EvidenceSummary> {
  const seen = new Map<string, EvidenceRecord>()
  const readFrom: number[] = []
  for (const validator of validators) {
    const page = await rpcCall<{ evidence: EvidenceRecord[] }>(
      validator.rpc,
      'evidence',
      { offset: 0, limit: evidencePageMax },
      { timeoutMs: callTimeoutMs },
    ).catch(() => undefined)
    if (page === undefined) continue
    readFrom.push(validator.index)
    for (const record of page.evidence) seen.set(record.id, record)
  }
  const byOffender: Record<string, Record<string, number>> = {}
  for (const record of seen.values()) {
    const offender = String(record.offender)
    const kinds = byOffender[offender] ?? {}
    kinds[record.kind] = (kinds[record.kind] ?? 0) + 1
    byOffender[offender] = kinds
  }
  return { by_offender: byOffender, read_from: readFrom }
}
