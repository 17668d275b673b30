import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import { Counter, Gauge, Registry } from 'prom-client'

/** Every Prometheus metric of a validator (the only module that imports prom-client). */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly committedHeight = this.#gauge('quorate_committed_height', 'Latest committed block height')
  readonly view = this.#gauge('quorate_view', 'Current consensus view')
  readonly committedTxs = this.#counter('quorate_committed_txs_total', 'Transactions committed', [])
  readonly viewChanges = this.#counter('quorate_view_changes_total', 'Views entered, by how', ['reason'])
  readonly unreachableLeaderTimeouts = this.#counter(
    'quorate_unreachable_leader_timeouts_total',
    'Views timed out before their timer because the leader they waited on was disconnected',
    [],
  )
  readonly mempoolTxs = this.#gauge('quorate_mempool_txs', 'Transactions waiting in the mempool')
  readonly txAdmissions = this.#counter('quorate_tx_admissions_total', 'Transactions offered, by result', [
    'result',
  ])
  readonly rejectedMessages = this.#counter(
    'quorate_rejected_messages_total',
    'Peer messages rejected, by protocol, reason and peer (validator index)',
    ['protocol', 'reason', 'peer'],
  )
  readonly peerEvents = this.#counter(
    'quorate_peer_events_total',
    'p2p events, by kind, penalty reason (penalized events) and peer (validator index)',
    ['kind', 'reason', 'peer'],
  )
  readonly rpcRejections = this.#counter('quorate_rpc_rejections_total', 'JSON-RPC requests rejected', [
    'reason',
  ])
  readonly gossipDropped = this.#counter(
    'quorate_gossip_dropped_total',
    "Gossip not sent because a peer's outbound gossip queue was full, by protocol: transactions (tx-batch), evidence frames",
    ['protocol'],
  )
  readonly evidence = this.#counter('quorate_evidence_total', 'Misbehaviour recorded as evidence', ['kind'])
  readonly storeCorruption = this.#counter(
    'quorate_store_corruption_total',
    'Reads that found corrupt stored data',
    [],
  )

  readonly #eventLoopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 })
  /**
   * Event-loop delay since the previous scrape (the histogram is reset on every scrape), so a scrape at the
   * end of a phase reports that phase: quantiles 0.5, 0.99 and 1 (max).
   */
  readonly eventLoopDelay = new Gauge({
    name: 'quorate_event_loop_delay_seconds',
    help: 'Event-loop delay over the interval since the previous scrape, by quantile',
    labelNames: ['quantile'],
    registers: [this.registry],
    collect: () => {
      const histogram = this.#eventLoopDelay
      for (const [quantile, nanoseconds] of [
        ['0.5', histogram.percentile(50)],
        ['0.99', histogram.percentile(99)],
        ['1', histogram.max],
      ] as const) {
        this.eventLoopDelay.set({ quantile }, nanoseconds / 1e9)
      }
      histogram.reset()
    },
  })

  /** `processMetrics`: watch this process's event loop (a validator process; not a simulated one). */
  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics === true) this.#eventLoopDelay.enable()
  }

  close(): void {
    this.#eventLoopDelay.disable()
  }

  #gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] })
  }

  #counter<T extends string>(name: string, help: string, labelNames: readonly T[]): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] })
  }
}
