import { afterEach, describe, expect, it } from 'vitest'
import { NodeMetrics } from '../../node/metrics.js'
import { MetricsServer } from '../../node/metrics-server.js'

let server: MetricsServer | undefined
let metrics: NodeMetrics | undefined

afterEach(async () => {
  await server?.close()
  metrics?.close()
  server = undefined
  metrics = undefined
})

describe('the metrics listener (config metrics_listen)', () => {
  it('serves GET /metrics in the Prometheus format, and nothing else', async () => {
    metrics = new NodeMetrics({ processMetrics: true })
    metrics.committedTxs.inc(7)
    server = await MetricsServer.listen({ host: '127.0.0.1', port: 0 }, metrics)
    const scrape = await fetch(server.url)
    expect(scrape.status).toBe(200)
    expect(scrape.headers.get('content-type')).toContain('text/plain')
    const text = await scrape.text()
    expect(text).toContain('quorate_committed_txs_total 7')
    expect(text).toMatch(/^quorate_build_info\{version="[^"]+",node_version="v\d+/m)
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(404)
  })
})
