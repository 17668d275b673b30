// Watches validators' committed height and view from outside: one loop per validator sends `status` over its
// own keep-alive connection, waits for the answer, and sends the next one `intervalMs` after the last was
// sent (at once when the answer took longer). Each answer is kept with the moments its request left and its
// answer arrived, which bound when the validator read the values it reports: a commit it reports happened
// before the answer arrived, and after the request of the last answer that did not show it left.

import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { callRpc, keepAliveEndpoint, type RpcEndpoint } from '../load/keep-alive-rpc.js'

export interface StatusSample {
  readonly validator: number
  /** performance.now() when the request left. */
  readonly sentMs: number
  /** performance.now() when the answer arrived. */
  readonly answeredMs: number
  /** The validator's committed height. */
  readonly height: number
  readonly view: number
  /** The leader the validator expects for its view (leader election), when it reports one. */
  readonly leader: number | null
  readonly catchingUp: boolean
}

export interface PolledValidator {
  readonly index: number
  readonly rpcUrl: string
}

/** A poll answered by an unreachable validator waits this long before the next, not `intervalMs`. */
const failedPollPauseMs = 50
const pollTimeoutMs = 2_000
/** At the default 5 ms interval, over 30 s of polling four validators at once. */
export const statusSampleCountMax = 100_000

export class StatusPollerOverflowError extends Error {
  static override name = 'StatusPollerOverflowError'
  override name = 'StatusPollerOverflowError'
}

export class StatusPoller {
  readonly #samples: StatusSample[] = []
  readonly #latest = new Map<number, StatusSample>()
  readonly #excluded = new Set<number>()
  readonly #endpoints: RpcEndpoint[]
  readonly #loops: Promise<void>[]
  #stopped = false
  #overflowed = false

  constructor(
    validators: readonly PolledValidator[],
    readonly intervalMs: number,
  ) {
    this.#endpoints = validators.map((validator) => keepAliveEndpoint(validator.rpcUrl, 1))
    this.#loops = validators.map((validator, slot) => this.#poll(validator.index, this.#endpoints[slot]!))
  }

  /** Every answer so far, in the order they arrived. */
  get samples(): readonly StatusSample[] {
    if (this.#overflowed) {
      throw new StatusPollerOverflowError(`more than ${statusSampleCountMax} status answers were kept`)
    }
    return this.#samples
  }

  /** The most recent answer of `validator`, if any. */
  latest(validator: number): StatusSample | undefined {
    return this.#latest.get(validator)
  }

  /** Stops polling `validator` (one that is about to be killed); an answer in flight is still kept. */
  exclude(validator: number): void {
    this.#excluded.add(validator)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await Promise.all(this.#loops)
    for (const endpoint of this.#endpoints) endpoint.agent.destroy()
  }

  async #poll(validator: number, endpoint: RpcEndpoint): Promise<void> {
    while (!this.#stopped && !this.#excluded.has(validator)) {
      const sentMs = performance.now()
      const outcome = await callRpc(endpoint, 'status', {}, pollTimeoutMs)
      const answeredMs = performance.now()
      const sample =
        outcome.kind === 'result' ? readStatus(validator, sentMs, answeredMs, outcome.result) : null
      if (sample !== null) {
        if (this.#samples.length >= statusSampleCountMax) {
          this.#overflowed = true
          return
        }
        this.#samples.push(sample)
        this.#latest.set(validator, sample)
      }
      const pauseMs = sample === null ? failedPollPauseMs : sentMs + this.intervalMs - performance.now()
      if (pauseMs > 0) await sleep(pauseMs)
    }
  }
}

function readStatus(
  validator: number,
  sentMs: number,
  answeredMs: number,
  result: unknown,
): StatusSample | null {
  if (typeof result !== 'object' || result === null) return null
  const { height, view, leader, catching_up: catchingUp } = result as Record<string, unknown>
  if (typeof height !== 'number' || typeof view !== 'number') return null
  return {
    validator,
    sentMs,
    answeredMs,
    height,
    view,
    leader: typeof leader === 'number' ? leader : null,
    catchingUp: catchingUp === true,
  }
}
