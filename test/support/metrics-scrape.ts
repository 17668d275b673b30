// Reading a validator's /metrics in tests: the Prometheus text format as prom-client writes it.

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** Parses the Prometheus text format (prom-client's output: no timestamps). */
export async function readMetrics(url: string): Promise<Sample[]> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line)
    if (match === null) continue
    const labels: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

/** The sum of the samples of `name` whose labels include all of `labels`. */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0)
}

/** One scrape, summed: `total(await readMetrics(url), name, labels)`. */
export async function metricTotal(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return total(await readMetrics(url), name, labels)
}
