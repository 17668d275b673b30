// The etcd side of the comparison, read from the JSON lines that ../shared/reference/etcd/run.sh prints on
// stdout (one "ed25519-bound" line, then one "etcd" line per client count). The file comes from outside this
// repository, so every line is checked before use.

import { readFile } from 'node:fs/promises'

export interface EtcdRow {
  readonly concurrency: number
  readonly ops_per_s: number
  readonly p50_ms: number | null
  readonly p95_ms: number | null
  readonly p99_ms: number | null
  readonly errors: number
}

export interface EtcdResults {
  readonly file: string
  readonly version: string | null
  readonly members: number | null
  /** run.sh's own ceiling line, as it printed it. */
  readonly ed25519_bound: Readonly<Record<string, unknown>> | null
  readonly rows: readonly EtcdRow[]
}

export class EtcdResultsError extends Error {
  static override name = 'EtcdResultsError'
  override name = 'EtcdResultsError'
}

export async function readEtcdResults(file: string): Promise<EtcdResults> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new EtcdResultsError(`cannot read ${file}: ${String(error)}`)
  }
  return parseEtcdResults(file, text)
}

export function parseEtcdResults(file: string, text: string): EtcdResults {
  const rows: EtcdRow[] = []
  let bound: Record<string, unknown> | null = null
  let version: string | null = null
  let members: number | null = null
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '') continue
    const where = `${file}:${index + 1}`
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new EtcdResultsError(
        `${where}: not a JSON line (keep only run.sh's stdout): ${line.slice(0, 120)}`,
      )
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new EtcdResultsError(`${where}: expected a JSON object`)
    }
    const fields = value as Record<string, unknown>
    if (fields.system === 'ed25519-bound') bound = fields
    else if (fields.system === 'etcd') {
      rows.push(etcdRow(fields, where))
      if (typeof fields.version === 'string') version = fields.version
      if (typeof fields.members === 'number') members = fields.members
    } else throw new EtcdResultsError(`${where}: unknown "system" ${JSON.stringify(fields.system)}`)
  }
  if (rows.length === 0) throw new EtcdResultsError(`${file}: no "etcd" line`)
  return { file, version, members, ed25519_bound: bound, rows }
}

function etcdRow(fields: Record<string, unknown>, where: string): EtcdRow {
  const required = (name: string): number => {
    const value = fields[name]
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new EtcdResultsError(`${where}: "${name}" is not a number`)
    }
    return value
  }
  const optional = (name: string): number | null => (fields[name] === null ? null : required(name))
  return {
    concurrency: required('concurrency'),
    ops_per_s: required('ops_per_s'),
    p50_ms: optional('p50_ms'),
    p95_ms: optional('p95_ms'),
    p99_ms: optional('p99_ms'),
    errors: required('errors'),
  }
}

export function etcdRowFor(results: EtcdResults | null, clients: number): EtcdRow | null {
  return results?.rows.find((row) => row.concurrency === clients) ?? null
}
