import { toHex } from '../../crypto/hex.js'
import {
  EncodeError,
  type EvidenceKey,
  encodeEvidence,
  evidenceKeyOf,
  evidenceKindByte,
} from '../../ledger/codec/index.js'
import { evidenceKeyBytes } from '../../ledger/store/index.js'
import type { EvidenceRecord } from '../../ledger/types.js'
import {
  evidencePoolBytesMax,
  evidencePoolEntryCountMax,
  evidenceRpcPageLengthDefault,
  evidenceRpcPageLengthMax,
  evidenceVerificationsInFlightMax,
} from './constants.js'
import {
  type EvidenceJson,
  type EvidenceRpcResult,
  evidenceJson,
  evidenceRpcResult,
} from './evidence-json.js'
import type { EvidenceChecker, EvidenceRejection } from './evidence-verifier.js'

/** Where evidence came from: the local consensus core ('record-evidence' action) or a peer's gossip. */
export type EvidenceSource = 'local' | 'peer'

/**
 * What became of offered evidence. Only 'added' is new; the rejections (EvidenceRejection) mean the sender
 * offered something that proves nothing, which a peer never does by accident.
 */
export type EvidenceAddResult =
  | 'added'
  /** The same misbehaviour (kind, view, offender) is already held. */
  | 'duplicate'
  /** The pool is full and this is the oldest evidence of the offender with the most: not kept. */
  | 'pool-full'
  /** Too much peer evidence is being verified already; refused unchecked. */
  | 'overloaded'
  | EvidenceRejection

/** The part of the ledger store the pool uses (LedgerStore implements it). */
export interface EvidenceStore {
  saveEvidence(evidence: EvidenceRecord): Promise<boolean>
  deleteEvidence(keys: readonly EvidenceKey[]): Promise<void>
  evidence(): Promise<EvidenceRecord[]>
}

export interface EvidencePoolOptions {
  /**
   * Called once per misbehaviour, after it is stored: the node gossips it to every validator and counts it in
   * metrics. Runs synchronously inside `add`; it must not throw.
   */
  readonly onNew?: (evidence: EvidenceRecord, source: EvidenceSource) => void
  readonly entryCountMax?: number
  readonly bytesMax?: number
  readonly verificationsInFlightMax?: number
}

interface Entry {
  readonly record: EvidenceRecord
  readonly key: EvidenceKey
  /** Hex of the store key: the identity of the misbehaviour. */
  readonly id: string
  /** Encoded size, what the byte bound counts. */
  readonly bytes: number
}

interface OffenderEntries {
  /** Oldest first: by view, then kind. */
  readonly entries: Entry[]
  bytes: number
}

/**
 * Verified evidence of misbehaviour: each misbehaviour (kind, view, offender) once, persisted in the ledger
 * store, held in memory within a count and a byte bound.
 *
 * When full, the pool drops the oldest evidence of the offender holding the most (by count, or by bytes when
 * the byte bound is the one exceeded). So a Byzantine validator that signs conflicting messages in view after
 * view only ever displaces its own evidence, never the evidence against others.
 */
export class EvidencePool {
  readonly #store: EvidenceStore
  readonly #checker: EvidenceChecker
  readonly #onNew: ((evidence: EvidenceRecord, source: EvidenceSource) => void) | undefined
  readonly #entryCountMax: number
  readonly #bytesMax: number
  readonly #verificationsInFlightMax: number
  readonly #entries = new Map<string, Entry>()
  readonly #byOffender = new Map<number, OffenderEntries>()
  #bytes = 0
  #verifying = 0
  /** Stores and memory updates happen one at a time, in the order the verifications finish. */
  #commits: Promise<unknown> = Promise.resolve()
  #listed: readonly EvidenceRecord[] | null = null

  private constructor(store: EvidenceStore, checker: EvidenceChecker, options: EvidencePoolOptions) {
    this.#store = store
    this.#checker = checker
    this.#onNew = options.onNew
    this.#entryCountMax = options.entryCountMax ?? evidencePoolEntryCountMax
    this.#bytesMax = options.bytesMax ?? evidencePoolBytesMax
    this.#verificationsInFlightMax = options.verificationsInFlightMax ?? evidenceVerificationsInFlightMax
    for (const [name, value] of [
      ['entryCountMax', this.#entryCountMax],
      ['bytesMax', this.#bytesMax],
      ['verificationsInFlightMax', this.#verificationsInFlightMax],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`EvidencePool ${name}: ${value}`)
    }
  }

  /**
   * Loads the stored evidence (it was verified before it was stored, and every stored value is checksummed and
   * strictly decoded, so it is not verified again) and drops whatever exceeds the bounds, on disk too.
   */
  static async open(
    store: EvidenceStore,
    checker: EvidenceChecker,
    options: EvidencePoolOptions = {},
  ): Promise<EvidencePool> {
    const pool = new EvidencePool(store, checker, options)
    for (const record of await store.evidence()) pool.#insert(entryOf(record))
    const victims = pool.#evictionsFor(undefined) ?? []
    await store.deleteEvidence(victims.map((victim) => victim.key))
    for (const victim of victims) pool.#remove(victim)
    return pool
  }

  get size(): number {
    return this.#entries.size
  }

  /** Encoded bytes held. */
  get bytes(): number {
    return this.#bytes
  }

  has(key: EvidenceKey): boolean {
    return this.#entries.has(toHex(evidenceKeyBytes(key)))
  }

  /** Verifies, dedupes, stores and announces (onNew) evidence; true iff it is new. */
  async add(evidence: EvidenceRecord, source: EvidenceSource): Promise<boolean> {
    return (await this.submit(evidence, source)) === 'added'
  }

  /** `add`, telling what became of the evidence (for metrics by reason and for scoring the sending peer). */
  async submit(evidence: EvidenceRecord, source: EvidenceSource): Promise<EvidenceAddResult> {
    // Only verified evidence is held, so a known key needs no second verification (floods cost a lookup).
    if (this.has(evidenceKeyOf(evidence))) return 'duplicate'
    let entry: Entry
    try {
      entry = entryOf(evidence)
    } catch (error) {
      // The encoder refuses exactly what the decoder would: a pair that is not evidence by its shape.
      if (error instanceof EncodeError) return 'malformed'
      throw error
    }
    if (source === 'peer' && this.#verifying >= this.#verificationsInFlightMax) return 'overloaded'
    this.#verifying++
    let verdict: Awaited<ReturnType<EvidenceChecker['verifyEvidence']>>
    try {
      verdict = await this.#checker.verifyEvidence(evidence)
    } finally {
      this.#verifying--
    }
    if (!verdict.ok) return verdict.reason
    return this.#serialized(() => this.#commit(entry, source))
  }

  /** Every piece of evidence held, oldest view first (then by kind, then offender). */
  list(): readonly EvidenceRecord[] {
    this.#listed ??= [...this.#entries.values()].sort(compareListOrder).map((entry) => entry.record)
    return this.#listed
  }

  /** The JSON shape of one piece of evidence (see evidence-json.ts). */
  toJson(evidence: EvidenceRecord): EvidenceJson {
    return evidenceJson(evidence)
  }

  /** The result of the JSON-RPC method `evidence`: `{ evidence: [...], total }`, one page in list() order. */
  rpcResult(page: { readonly offset?: number; readonly limit?: number } = {}): EvidenceRpcResult {
    const offset = page.offset ?? 0
    const limit = page.limit ?? evidenceRpcPageLengthDefault
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`evidence page offset ${offset}`)
    if (!Number.isSafeInteger(limit) || limit < 0 || limit > evidenceRpcPageLengthMax) {
      throw new RangeError(`evidence page limit ${limit}, max ${evidenceRpcPageLengthMax}`)
    }
    return evidenceRpcResult(this.list(), { offset, limit })
  }

  async #commit(entry: Entry, source: EvidenceSource): Promise<EvidenceAddResult> {
    if (this.#entries.has(entry.id)) return 'duplicate'
    const victims = this.#evictionsFor(entry)
    if (victims === null) return 'pool-full'
    // Disk first: memory only ever holds what is stored (a crash between the two writes leaves an extra entry
    // on disk, which the next open() drops by the same rule).
    const stored = await this.#store.saveEvidence(entry.record)
    await this.#store.deleteEvidence(victims.map((victim) => victim.key))
    for (const victim of victims) this.#remove(victim)
    this.#insert(entry)
    if (!stored) return 'duplicate'
    this.#onNew?.(entry.record, source)
    return 'added'
  }

  /**
   * The entries to drop so that the pool, with `candidate` added, fits both bounds, oldest first; null if the
   * candidate itself would be the one dropped.
   */
  #evictionsFor(candidate: Entry | undefined): Entry[] | null {
    let count = this.#entries.size + (candidate === undefined ? 0 : 1)
    let bytes = this.#bytes + (candidate?.bytes ?? 0)
    const removed = new Map<number, { count: number; bytes: number }>()
    const victims: Entry[] = []
    while (count > this.#entryCountMax || bytes > this.#bytesMax) {
      const offender = this.#mostProlific(candidate, removed, count > this.#entryCountMax)
      const done = removed.get(offender) ?? { count: 0, bytes: 0 }
      const victim = this.#nthOldest(offender, candidate, done.count)
      if (victim === candidate) return null
      victims.push(victim)
      removed.set(offender, { count: done.count + 1, bytes: done.bytes + victim.bytes })
      count--
      bytes -= victim.bytes
    }
    return victims
  }

  /** The offender holding the most entries (or bytes), counting the candidate and not the planned removals. */
  #mostProlific(
    candidate: Entry | undefined,
    removed: ReadonlyMap<number, { count: number; bytes: number }>,
    byCount: boolean,
  ): number {
    const offenders = new Set(this.#byOffender.keys())
    if (candidate !== undefined) offenders.add(candidate.key.offender)
    let chosen = -1
    let weightMax = 0
    for (const offender of offenders) {
      const held = this.#byOffender.get(offender)
      const extra = candidate?.key.offender === offender ? candidate : undefined
      const gone = removed.get(offender)
      const weight = byCount
        ? (held?.entries.length ?? 0) + (extra === undefined ? 0 : 1) - (gone?.count ?? 0)
        : (held?.bytes ?? 0) + (extra?.bytes ?? 0) - (gone?.bytes ?? 0)
      if (weight > weightMax || (weight === weightMax && weight > 0 && offender < chosen)) {
        chosen = offender
        weightMax = weight
      }
    }
    if (chosen < 0) throw new Error('evidence pool: over its bounds with nothing to drop')
    return chosen
  }

  /** The offender's n-th oldest entry, counting the candidate as if it were held. */
  #nthOldest(offender: number, candidate: Entry | undefined, n: number): Entry {
    const entries = this.#byOffender.get(offender)?.entries ?? []
    if (candidate === undefined || candidate.key.offender !== offender) return entries[n]!
    const position = insertionIndex(entries, candidate)
    if (n < position) return entries[n]!
    return n === position ? candidate : entries[n - 1]!
  }

  #insert(entry: Entry): void {
    this.#entries.set(entry.id, entry)
    let held = this.#byOffender.get(entry.key.offender)
    if (held === undefined) {
      held = { entries: [], bytes: 0 }
      this.#byOffender.set(entry.key.offender, held)
    }
    held.entries.splice(insertionIndex(held.entries, entry), 0, entry)
    held.bytes += entry.bytes
    this.#bytes += entry.bytes
    this.#listed = null
  }

  #remove(entry: Entry): void {
    if (!this.#entries.delete(entry.id)) return
    const held = this.#byOffender.get(entry.key.offender)!
    held.entries.splice(held.entries.indexOf(entry), 1)
    held.bytes -= entry.bytes
    if (held.entries.length === 0) this.#byOffender.delete(entry.key.offender)
    this.#bytes -= entry.bytes
    this.#listed = null
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#commits.then(task)
    this.#commits = result.catch(() => {})
    return result
  }
}

function entryOf(record: EvidenceRecord): Entry {
  const bytes = encodeEvidence(record).length
  const key = evidenceKeyOf(record)
  return { record, key, id: toHex(evidenceKeyBytes(key)), bytes }
}

/** Age within one offender: view, then kind. */
function compareAge(a: Entry, b: Entry): number {
  return a.key.view - b.key.view || evidenceKindByte[a.key.kind] - evidenceKindByte[b.key.kind]
}

function compareListOrder(a: Entry, b: Entry): number {
  return compareAge(a, b) || a.key.offender - b.key.offender
}

/** Where `entry` goes in `entries` (sorted by age) to keep them sorted. */
function insertionIndex(entries: readonly Entry[], entry: Entry): number {
  let low = 0
  let high = entries.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (compareAge(entries[middle]!, entry) < 0) low = middle + 1
    else high = middle
  }
  return low
}
