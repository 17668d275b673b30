import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { packageVersion } from './version.js'

/** Read at each scrape from the running validator. */
export interface NodeStateGauges {
  readonly peersConnected: number
  readonly catchingUp: boolean
  readonly mempoolBytes: number
}

/** Seconds: 5 ms to 20 s, about ×2 apart (consensus here commits in tens of milliseconds; a view timeout is 1 s). */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20] as const

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

  /** Seconds from a transaction's admission to this validator's mempool to its commit here. */
  readonly txCommitLatency = this.#histogram(
    'quorate_tx_commit_latency_seconds',
    "Seconds from a transaction's admission to this validator's mempool to its commit here",
    latencyBuckets,
  )
  readonly blockInterval = this.#histogram(
    'quorate_block_interval_seconds',
    'Seconds between the timestamps of consecutive committed blocks',
    latencyBuckets,
  )
  readonly rpcDuration = new Histogram({
    name: 'quorate_rpc_request_duration_seconds',
    help: 'Seconds to answer a JSON-RPC request, by method (unknown methods as "other")',
    labelNames: ['method'],
    buckets: [...latencyBuckets],
    registers: [this.registry],
  })
  readonly missedVotes = this.#counter(
    'quorate_validator_missed_votes_total',
    "Committed blocks whose certificate lacks the validator's vote, by validator index",
    ['validator'],
  )
  readonly lastCommitTime = this.#gauge(
    'quorate_last_commit_timestamp_seconds',
    'Unix time of the last block this validator committed',
  )
  readonly #state: { source: (() => NodeStateGauges) | null } = { source: null }

  /**
   * `processMetrics`: this registry describes a whole process (a validator process, not a simulated node): it
   * gets prom-client's default metrics (CPU, memory, heap, GC, event loop, handles) and `quorate_build_info`.
   */
  constructor(options: { readonly processMetrics?: boolean } = {}) {
    for (const [name, help, read] of [
      ['quorate_peers_connected', 'Validators connected over p2p', (state) => state.peersConnected],
      ['quorate_catching_up', '1 while block sync runs, else 0', (state) => (state.catchingUp ? 1 : 0)],
      [
        'quorate_mempool_bytes',
        'Bytes of the transactions waiting in the mempool',
        (state) => state.mempoolBytes,
      ],
    ] as const satisfies ReadonlyArray<readonly [string, string, (state: NodeStateGauges) => number]>) {
      const state = this.#state
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          if (state.source !== null) this.set(read(state.source()))
        },
      })
    }
    if (options.processMetrics === true) {
      collectDefaultMetrics({ register: this.registry })
      // Gauges whose names end in _total, which Prometheus reserves for counters (`promtool check metrics`
      // refuses them); the same figures remain per type in nodejs_active_handles, _requests and _resources.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ])
        this.registry.removeSingleMetric(name)
      new Gauge({
        name: 'quorate_build_info',
        help: 'Always 1; the labels say which build runs',
        labelNames: ['version', 'node_version'],
        registers: [this.registry],
      }).set({ version: packageVersion(), node_version: process.version }, 1)
    }
  }

  /** Drops every metric (the default metrics' event-loop monitor does not keep the process alive). */
  close(): void {
    this.registry.clear()
  }

  /** What the state gauges read at each scrape (the validator, once it exists). */
  bindState(source: () => NodeStateGauges): void {
    this.#state.source = source
  }

  #histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return new Histogram({ name, help, buckets: [...buckets], registers: [this.registry] })
  }

  #gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] })
  }

  #counter<T extends string>(name: string, help: string, labelNames: readonly T[]): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] })
  }
}
