// What one broadcast_tx_commit answer says about its transaction, for the history: committed (ok), definitely
// not admitted (fail), or no way to tell (unknown: it may still commit). When in doubt, unknown: calling a
// transaction that later commits "failed" would be a false alarm of the checker's own making.

import { AdmissionCode } from '../../node/mempool/admission.js'
import { RpcCallError, RpcTransportError } from '../../node/rpc/client.js'
import { historyErrorLengthMax } from './records.js'

export type CommitOutcome =
  | { readonly op: 'ok'; readonly height: number; readonly code: number }
  | { readonly op: 'fail' | 'unknown'; readonly error: string }

/** JSON-RPC errors answered before the transaction reached admission: parse, request, method, params. */
const refusedBeforeAdmission = new Set([-32700, -32600, -32601, -32602])
/** Admission codes that do not say "not admitted": the same bytes are pending or committed already. */
const heldElsewhere = new Set<number>([AdmissionCode.alreadyPending, AdmissionCode.alreadyCommitted])

export function outcomeOfAnswer(result: unknown): CommitOutcome {
  if (typeof result !== 'object' || result === null)
    return unknown(`unreadable answer ${JSON.stringify(result)}`)
  const { height, code, log } = result as Record<string, unknown>
  const codeNumber = typeof code === 'number' ? code : undefined
  if (typeof height === 'number' && Number.isSafeInteger(height) && height >= 1)
    return { op: 'ok', height, code: codeNumber ?? 0 }
  if (codeNumber === undefined || codeNumber === 0)
    return unknown(`answer without a height: ${JSON.stringify(result)}`)
  const error = `admission code ${codeNumber}: ${typeof log === 'string' ? log : ''}`
  return heldElsewhere.has(codeNumber) ? unknown(error) : { op: 'fail', error: cut(error) }
}

export function outcomeOfError(error: unknown): CommitOutcome {
  if (error instanceof RpcCallError) {
    const text = `JSON-RPC error ${error.code}: ${error.message}`
    return refusedBeforeAdmission.has(error.code) ? { op: 'fail', error: cut(text) } : unknown(text)
  }
  if (error instanceof RpcTransportError) return unknown(error.message)
  return unknown(`no answer: ${error instanceof Error ? error.message : String(error)}`)
}

function unknown(error: string): CommitOutcome {
  return { op: 'unknown', error: cut(error) }
}

function cut(text: string): string {
  return text.length <= historyErrorLengthMax ? text : `${text.slice(0, historyErrorLengthMax - 1)}…`
}
