// The fault lab's state as JSON (GET /api/state, the console's server-sent events, `ctl status`); the shape is
// documented in docs/fault-lab.md.

import type { FaultLab, LabEvent } from './fault-lab.js'
import type { TimelineEntry } from './timeline.js'

export type ProcessState = 'running' | 'paused' | 'killed' | 'exited'

/** A scenario run against the lab: its steps so far and, once done, its verdict. */
export interface ScenarioProgress {
  readonly name: string
  readonly state: 'running' | 'passed' | 'failed'
  readonly step: string
  readonly verdict?: unknown
}

export interface LabValidatorState {
  readonly index: number
  readonly name: string
  readonly rpc: string
  readonly process: ProcessState
  readonly pid: number
  readonly fixture: string | null
  readonly clock_skew_ms: number
  readonly status?: {
    readonly height: number
    readonly view: number
    readonly leader: number | null
    readonly peers: number | null
    readonly mempool_txs: number | null
    readonly catching_up: boolean | null
  }
  readonly healthy: boolean
}

export interface LabState {
  readonly chain_id: string
  readonly now_ms: number
  readonly validators: readonly LabValidatorState[]
  readonly links: ReadonlyArray<{
    from: number
    to: number
    cut: boolean
    delay_ms: number
    drop_rate: number
  }>
  readonly faults: readonly string[]
  readonly timeline: readonly TimelineEntry[]
  readonly events: readonly LabEvent[]
  readonly scenario: ScenarioProgress | null
  readonly fixtures: readonly string[]
  readonly scenarios: readonly string[]
}

export function labState(
  lab: FaultLab,
  context: {
    chainId: string
    nowMs: number
    healthyWithinMs: number
    fixtures: readonly string[]
    scenarios: readonly string[]
  },
): LabState {
  return {
    chain_id: context.chainId,
    now_ms: context.nowMs,
    validators: lab.validators.map((validator) => {
      const { status } = validator
      return {
        index: validator.index,
        name: validator.name,
        rpc: validator.rpc,
        process: validator.process,
        pid: validator.pid,
        fixture: validator.fixture,
        clock_skew_ms: validator.skewMs,
        ...(status === undefined
          ? {}
          : {
              status: {
                height: status.height,
                view: status.view,
                leader: status.leader ?? null,
                peers: status.peers ?? null,
                mempool_txs: status.mempoolTxs ?? null,
                catching_up: status.catchingUp ?? null,
              },
            }),
        healthy:
          validator.process === 'running' &&
          validator.answeredAtMs !== undefined &&
          context.nowMs - validator.answeredAtMs <= context.healthyWithinMs,
      }
    }),
    links: lab.links.entries().map((link) => ({
      from: link.from,
      to: link.to,
      cut: link.cut,
      delay_ms: link.delayMs,
      drop_rate: link.dropRate,
    })),
    faults: lab.faults(),
    timeline: lab.timeline.entries(),
    events: lab.events,
    scenario: lab.scenario,
    fixtures: context.fixtures,
    scenarios: context.scenarios,
  }
}
