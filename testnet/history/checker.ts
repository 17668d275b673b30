// The history checker: a client history against what the honest validators committed. Pure (no I/O, no
// clock), so tests run it on chains built in memory; check-testnet.ts reads the real ones.
//
// Outcomes are judged per transaction (hash): one transaction may be sent more than once (after an unknown,
// the same nonce to the same recipient signs to the same bytes). A transaction with an `ok` must be committed
// exactly once; else, with an `unknown` (or an invoke the history ends before answering), at most once; else
// (only `fail`s) never.

import { checkAgreement } from './agreement.js'
import type { ChainBlock, ValidatorChain } from './chain-view.js'
import { checkConservation, type LedgerReading } from './conservation.js'
import { type HistoryRecord, type Operation, operationsOf } from './records.js'

export const defaultLivenessBoundMs = 10_000
/** Each failing check lists at most this many offending transactions. */
export const listedOffendersMax = 10

export const checkNames = [
  'agreement',
  'acknowledged-committed-once',
  'rejected-absent',
  'unknown-at-most-once',
  'ack-height',
  'conservation',
  'liveness',
] as const
export type CheckName = (typeof checkNames)[number]

export interface CheckResult {
  readonly name: CheckName
  readonly ok: boolean
  readonly detail: string
}

export interface VerdictFigures {
  /** Requests, by their outcome (`unknown` includes invokes without an outcome, also counted in `no_outcome`). */
  readonly invoked: number
  readonly ok: number
  readonly fail: number
  readonly unknown: number
  readonly no_outcome: number
  /** Acknowledged transactions committed exactly once. */
  readonly committed_once: number
  /** Transactions with only unknown outcomes that committed. */
  readonly committed_unknown: number
  /** Transactions in the chain the history never sent (other clients'). */
  readonly foreign_txs: number
  readonly chain_txs: number
  /** The lowest honest height: every height up to it was compared. */
  readonly heights_compared: number
  /** The highest honest height; the transactions are looked up in that validator's chain. */
  readonly chain_height: number
  readonly validators_compared: readonly number[]
}

export interface Verdict {
  readonly ok: boolean
  readonly checks: readonly CheckResult[]
  readonly figures: VerdictFigures
}

export interface CheckHistoryInput {
  readonly history: readonly HistoryRecord[]
  /** One per honest validator read. */
  readonly chains: readonly ValidatorChain[]
  /** The balances for `conservation`; left out, it is not checked. */
  readonly ledger?: LedgerReading
  /** When the last fault was healed (epoch ms); left out, `liveness` is not checked. */
  readonly lastHealMs?: number
  readonly livenessBoundMs?: number
}

type TxClass = 'acknowledged' | 'unknown' | 'rejected'

interface TxEntry {
  readonly hash: string
  readonly operations: Operation[]
}

export function checkHistory(input: CheckHistoryInput): Verdict {
  const operations = operationsOf(input.history)
  const agreement = checkAgreement(input.chains)
  const reference = longestChain(input.chains)
  const heightsByTx = txHeights(reference)
  const byTx = new Map<string, TxEntry>()
  for (const operation of operations) {
    const entry = byTx.get(operation.invoke.tx) ?? { hash: operation.invoke.tx, operations: [] }
    entry.operations.push(operation)
    byTx.set(operation.invoke.tx, entry)
  }
  const classes = new Map<TxClass, TxEntry[]>([
    ['acknowledged', []],
    ['unknown', []],
    ['rejected', []],
  ])
  for (const entry of byTx.values()) classes.get(classOf(entry))!.push(entry)
  const committedTimes = (entry: TxEntry) => heightsByTx.get(entry.hash)?.length ?? 0
  const acknowledged = classes.get('acknowledged')!
  const unknown = classes.get('unknown')!
  const rejected = classes.get('rejected')!
  const outcomeCount = (op: string) => operations.filter((operation) => operation.outcome?.op === op).length
  const noOutcome = operations.filter((operation) => operation.outcome === undefined).length
  const checks: CheckResult[] = [
    { name: 'agreement', ok: agreement.ok, detail: agreement.detail },
    committedOnce(acknowledged, heightsByTx),
    offenders(
      'rejected-absent',
      rejected.filter((entry) => committedTimes(entry) > 0),
      heightsByTx,
      `${rejected.length} rejected transaction(s), none committed`,
      'rejected but committed',
    ),
    offenders(
      'unknown-at-most-once',
      unknown.filter((entry) => committedTimes(entry) > 1),
      heightsByTx,
      `${unknown.length} transaction(s) with unknown outcome, ` +
        `${unknown.filter((entry) => committedTimes(entry) === 1).length} committed once, the rest not at all`,
      'committed more than once',
    ),
    ackHeight(operations, heightsByTx),
    { name: 'conservation', ...checkConservation(input.ledger, input.history, input.chains) },
    liveness(operations, input.lastHealMs, input.livenessBoundMs ?? defaultLivenessBoundMs),
  ]
  const chainTxs = reference.reduce((count, block) => count + block.txs.length, 0)
  let foreign = 0
  for (const hash of heightsByTx.keys()) if (!byTx.has(hash)) foreign += heightsByTx.get(hash)!.length
  return {
    ok: checks.every((check) => check.ok),
    checks,
    figures: {
      invoked: operations.length,
      ok: outcomeCount('ok'),
      fail: outcomeCount('fail'),
      unknown: outcomeCount('unknown') + noOutcome,
      no_outcome: noOutcome,
      committed_once: acknowledged.filter((entry) => committedTimes(entry) === 1).length,
      committed_unknown: unknown.filter((entry) => committedTimes(entry) > 0).length,
      foreign_txs: foreign,
      chain_txs: chainTxs,
      heights_compared: agreement.heightsCompared,
      chain_height: reference.length,
      validators_compared: input.chains.map((chain) => chain.validator),
    },
  }
}

function classOf(entry: TxEntry): TxClass {
  const ops = entry.operations.map((operation) => operation.outcome?.op ?? 'unknown')
  if (ops.includes('ok')) return 'acknowledged'
  if (ops.includes('unknown')) return 'unknown'
  return 'rejected'
}

function longestChain(chains: readonly ValidatorChain[]): readonly ChainBlock[] {
  let longest: readonly ChainBlock[] = []
  for (const chain of chains) if (chain.blocks.length > longest.length) longest = chain.blocks
  return longest
}

/** Every committed transaction's heights (more than one: committed more than once). */
function txHeights(blocks: readonly ChainBlock[]): Map<string, number[]> {
  const heights = new Map<string, number[]>()
  for (const block of blocks) {
    for (const tx of block.txs) heights.set(tx.hash, [...(heights.get(tx.hash) ?? []), block.height])
  }
  return heights
}

/** "id 17 (tx ab…)": the ids of the requests that carried it, then its hash. */
function describeTx(entry: TxEntry, heightsByTx: ReadonlyMap<string, readonly number[]>): string {
  const ids = entry.operations.map((operation) => operation.invoke.id).join(', ')
  const heights = heightsByTx.get(entry.hash) ?? []
  const where = heights.length === 0 ? '' : ` at heights ${heights.join(', ')}`
  return `id ${ids} (tx ${entry.hash})${where}`
}

function listed(items: readonly string[]): string {
  const shown = items.slice(0, listedOffendersMax).join('; ')
  return items.length > listedOffendersMax ? `${shown}; and ${items.length - listedOffendersMax} more` : shown
}

function committedOnce(
  acknowledged: readonly TxEntry[],
  heightsByTx: ReadonlyMap<string, readonly number[]>,
): CheckResult {
  const lost = acknowledged.filter((entry) => (heightsByTx.get(entry.hash)?.length ?? 0) === 0)
  const duplicated = acknowledged.filter((entry) => (heightsByTx.get(entry.hash)?.length ?? 0) > 1)
  if (lost.length === 0 && duplicated.length === 0) {
    return {
      name: 'acknowledged-committed-once',
      ok: true,
      detail: `${acknowledged.length} acknowledged transaction(s), each committed exactly once`,
    }
  }
  const parts: string[] = []
  if (lost.length > 0)
    parts.push(`${lost.length} lost: ${listed(lost.map((entry) => describeTx(entry, heightsByTx)))}`)
  if (duplicated.length > 0) {
    parts.push(
      `${duplicated.length} duplicated: ${listed(duplicated.map((entry) => describeTx(entry, heightsByTx)))}`,
    )
  }
  return { name: 'acknowledged-committed-once', ok: false, detail: parts.join('; ') }
}

function offenders(
  name: CheckName,
  found: readonly TxEntry[],
  heightsByTx: ReadonlyMap<string, readonly number[]>,
  passDetail: string,
  what: string,
): CheckResult {
  if (found.length === 0) return { name, ok: true, detail: passDetail }
  const list = listed(found.map((entry) => describeTx(entry, heightsByTx)))
  return { name, ok: false, detail: `${found.length} ${what}: ${list}` }
}

/** An `ok` names the height that committed its transaction: it must be one the transaction is at. */
function ackHeight(
  operations: readonly Operation[],
  heightsByTx: ReadonlyMap<string, readonly number[]>,
): CheckResult {
  const wrong: string[] = []
  let compared = 0
  for (const { invoke, outcome } of operations) {
    if (outcome?.op !== 'ok') continue
    const heights = heightsByTx.get(invoke.tx)
    if (heights === undefined) continue
    compared++
    if (!heights.includes(outcome.height)) {
      wrong.push(
        `id ${invoke.id} (tx ${invoke.tx}): answered height ${outcome.height}, at ${heights.join(', ')}`,
      )
    }
  }
  if (wrong.length === 0) {
    return {
      name: 'ack-height',
      ok: true,
      detail: `${compared} acknowledged height(s), each where its tx is`,
    }
  }
  return { name: 'ack-height', ok: false, detail: `${wrong.length} wrong: ${listed(wrong)}` }
}

/** After the heal, some transaction invoked after it is acknowledged within the bound. */
function liveness(
  operations: readonly Operation[],
  lastHealMs: number | undefined,
  boundMs: number,
): CheckResult {
  if (lastHealMs === undefined)
    return { name: 'liveness', ok: true, detail: 'not checked: no heal time given' }
  let first: { id: number; afterMs: number } | undefined
  for (const { invoke, outcome } of operations) {
    if (outcome?.op !== 'ok' || invoke.t_ms < lastHealMs) continue
    const afterMs = outcome.t_ms - lastHealMs
    if (first === undefined || afterMs < first.afterMs) first = { id: invoke.id, afterMs }
  }
  if (first === undefined) {
    return {
      name: 'liveness',
      ok: false,
      detail: `no transaction invoked after the heal (t_ms ${lastHealMs}) was acknowledged`,
    }
  }
  const detail =
    `first acknowledged commit of a transaction invoked after the heal: id ${first.id}, ` +
    `${first.afterMs} ms after it (bound ${boundMs} ms)`
  return { name: 'liveness', ok: first.afterMs <= boundMs, detail }
}
