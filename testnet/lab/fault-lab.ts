// The fault lab: commands on a running testnet (docs/fault-lab.md). It holds what is injected now (processes
// killed or paused, fixtures, clock skews, link faults), carries it out with signals and the validators'
// testnet-only `unsafe_*` RPC methods, applies it again to a validator that restarts or resumes, and keeps the
// live state, a timeline and an event log for the console and `quorate testnet ctl status`.

import { rpcCall } from '../../node/rpc/client.js'
import { byzantineNames } from '../byzantine/registry.js'
import { testnetInfo, writeTestnetInfo } from '../info.js'
import type { ProgressTick, StatusSample } from '../progress.js'
import type { RunningTestnet } from '../runner.js'
import type { LabCommand } from './commands.js'
import { LabRequestError } from './lab-error.js'
import { type LabState, labState, type ProcessState, type ScenarioProgress } from './lab-state.js'
import { LinkPlan } from './link-plan.js'
import { Timeline } from './timeline.js'

export const eventCountMax = 200
/** A validator that answered `status` within this long is healthy. */
export const healthyWithinMs = 3_000
const applyTimeoutMs = 2_000
const restartReadyTimeoutMs = 30_000

export interface LabValidator {
  readonly index: number
  readonly name: string
  readonly rpc: string
  process: ProcessState
  pid: number
  fixture: string | null
  skewMs: number
  status: StatusSample | undefined
  answeredAtMs: number | undefined
  /** Its links and clock must be (re)sent: after a change, a restart or a failed call. */
  pendingApply: boolean
}

export interface LabEvent {
  readonly t_ms: number
  readonly text: string
}

export interface FaultLabOptions {
  readonly testnet: RunningTestnet
  readonly now?: () => number
  /** Shipped scenario names, for the console's menu. */
  readonly scenarioNames?: readonly string[]
}

export class FaultLab {
  readonly links: LinkPlan
  readonly validators: LabValidator[]
  readonly timeline = new Timeline()
  readonly events: LabEvent[] = []
  scenario: ScenarioProgress | null = null
  readonly #testnet: RunningTestnet
  readonly #now: () => number
  readonly #scenarioNames: readonly string[]
  readonly #listeners = new Set<(event?: LabEvent) => void>()
  #commands: Promise<unknown> = Promise.resolve()
  #applying = false
  #closed = false

  constructor(options: FaultLabOptions) {
    const { testnet } = options
    this.#testnet = testnet
    this.#now = options.now ?? Date.now
    this.#scenarioNames = options.scenarioNames ?? []
    this.links = new LinkPlan(testnet.info.validators.length)
    this.validators = testnet.info.validators.map((validator) => ({
      index: validator.index,
      name: validator.name,
      rpc: validator.rpc,
      process: 'running',
      pid: validator.pid,
      fixture: validator.fixture,
      skewMs: 0,
      status: undefined,
      answeredAtMs: undefined,
      pendingApply: false,
    }))
    testnet.processes.onExit((process, exit) => {
      const validator = this.validators[process.index]
      if (
        this.#closed ||
        validator === undefined ||
        validator.pid !== process.pid ||
        validator.process === 'killed'
      ) {
        return
      }
      validator.process = 'exited'
      validator.status = undefined
      const how = exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`
      this.#log(
        `validator ${process.index} exited on its own (${how}); see ${testnet.info.validators[process.index]?.log_file}`,
      )
    })
  }

  /** Runs one command; commands run one at a time, in the order they came. */
  execute(command: LabCommand): Promise<LabState> {
    const run = this.#commands.then(() => this.#run(command))
    this.#commands = run.catch(() => undefined)
    return run.then(() => this.state())
  }

  /** Called every progress round: statuses, timeline, and a retry of any link or clock not yet applied. */
  observe(tick: ProgressTick): void {
    tick.samples.forEach((sample, index) => {
      const validator = this.validators[index]
      if (validator === undefined) return
      validator.status = sample
      if (sample !== undefined) validator.answeredAtMs = tick.timeMs
    })
    this.timeline.record(tick)
    void this.#applyPending()
    this.#notify()
  }

  /**
   * Whether validator `index` can be trusted and asked now: running, honest, and not one of `untrusted` (a twinned
   * validator's key is shared by two processes). The scenario load sends only to these; the verdict reads them.
   */
  isHonestAndRunning(index: number, untrusted: readonly number[] = []): boolean {
    const validator = this.validators[index]
    return validator?.process === 'running' && validator.fixture === null && !untrusted.includes(index)
  }

  /** A phrase per fault injected now, for the progress line and the console. */
  faults(): string[] {
    const phrases: string[] = []
    for (const validator of this.validators) {
      if (validator.process !== 'running') phrases.push(`${validator.index} ${validator.process}`)
      if (validator.fixture !== null) phrases.push(`${validator.index} as ${validator.fixture}`)
      if (validator.skewMs !== 0) {
        phrases.push(`${validator.index} clock ${validator.skewMs > 0 ? '+' : ''}${validator.skewMs}ms`)
      }
    }
    return [...phrases, ...this.links.describe()]
  }

  state(): LabState {
    return labState(this, {
      chainId: this.#testnet.info.chain_id,
      nowMs: this.#now(),
      healthyWithinMs,
      fixtures: byzantineNames,
      scenarios: this.#scenarioNames,
    })
  }

  /** Called after every command, progress round and event (the console's server-sent events). */
  onChange(listener: (event?: LabEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The testnet is stopping: its validators' exits are expected now, not news. */
  close(): void {
    this.#closed = true
  }

  /** Records a line in the event log (scenario steps use it too). */
  log(text: string): void {
    this.#log(text)
  }

  async #run(command: LabCommand): Promise<void> {
    switch (command.command) {
      case 'kill':
        await this.#kill(this.#validator(command.validator))
        return this.#log(`killed validator ${command.validator}`)
      case 'restart':
        return this.#restart(this.#validator(command.validator), command.fixture)
      case 'pause':
        return this.#pause(this.#validator(command.validator))
      case 'resume':
        return this.#resume(this.#validator(command.validator))
      case 'partition':
        this.links.partition(command.groups)
        return this.#linksChanged(`partitioned ${command.groups.map((group) => group.join(',')).join(' | ')}`)
      case 'cut':
        this.links.cutOneWay(command.from, command.to)
        return this.#linksChanged(`cut ${command.from.join(',')} → ${command.to.join(',')} (one way)`)
      case 'heal':
        this.links.heal()
        return this.#linksChanged('healed every link')
      case 'link': {
        const change = { cut: false, delayMs: command.delayMs, dropRate: command.dropRate }
        this.links.set(command.from, command.to, change)
        if (command.both) this.links.set(command.to, command.from, change)
        const arrow = command.both ? '↔' : '→'
        return this.#linksChanged(
          `link ${command.from}${arrow}${command.to}: delay ${command.delayMs} ms, drop ${command.dropRate}`,
        )
      }
      case 'skew': {
        const validator = this.#validator(command.validator)
        validator.skewMs = command.ms
        validator.pendingApply = true
        await this.#applyPending()
        return this.#log(`validator ${validator.index}'s clock set ${command.ms} ms off`)
      }
    }
  }

  #validator(index: number): LabValidator {
    const validator = this.validators[index]
    if (validator === undefined) {
      throw new LabRequestError(
        'bad-request',
        `no validator ${index}: this testnet has validators 0..${this.validators.length - 1}`,
      )
    }
    return validator
  }

  async #kill(validator: LabValidator): Promise<void> {
    this.#expect(validator, 'running', 'paused')
    validator.process = 'killed'
    validator.status = undefined
    await this.#testnet.processes.stopOne(validator.index, 'SIGKILL')
  }

  async #restart(validator: LabValidator, fixture: string | null | undefined): Promise<void> {
    if (validator.process === 'running' || validator.process === 'paused') await this.#kill(validator)
    const as = fixture === undefined ? validator.fixture : fixture
    const process = await this.#testnet.restart(validator.index, as)
    validator.pid = process.pid
    validator.fixture = as
    validator.process = 'running'
    validator.pendingApply = true
    await this.#writeInfo()
    this.#log(`restarted validator ${validator.index}${as === null ? '' : ` as ${as}`}`)
    await this.#waitForRpc(validator)
    await this.#applyPending()
  }

  async #pause(validator: LabValidator): Promise<void> {
    this.#expect(validator, 'running')
    this.#testnet.processes.signal(validator.index, 'SIGSTOP')
    validator.process = 'paused'
    this.#log(`paused validator ${validator.index}`)
  }

  async #resume(validator: LabValidator): Promise<void> {
    this.#expect(validator, 'paused')
    this.#testnet.processes.signal(validator.index, 'SIGCONT')
    validator.process = 'running'
    this.#log(`resumed validator ${validator.index}`)
    await this.#applyPending()
  }

  #expect(validator: LabValidator, ...states: ProcessState[]): void {
    if (!states.includes(validator.process)) {
      const wanted = states.join(' or ')
      throw new LabRequestError(
        'conflict',
        `validator ${validator.index} is not ${wanted} (${validator.process})`,
      )
    }
  }

  async #linksChanged(text: string): Promise<void> {
    for (const validator of this.validators) validator.pendingApply = true
    await this.#applyPending()
    this.#log(text)
  }

  /** Sends each running validator with pending changes its whole link plan and clock skew (idempotent). */
  async #applyPending(): Promise<void> {
    if (this.#applying) return
    this.#applying = true
    try {
      await Promise.all(
        this.validators
          .filter((validator) => validator.pendingApply && validator.process === 'running')
          .map(async (validator) => {
            const options = { timeoutMs: applyTimeoutMs }
            try {
              await rpcCall(
                validator.rpc,
                'unsafe_set_link_faults',
                { links: this.links.outgoing(validator.index) },
                options,
              )
              await rpcCall(validator.rpc, 'unsafe_set_clock_skew', { skew_ms: validator.skewMs }, options)
              validator.pendingApply = false
            } catch {
              // Not answering (starting, or gone): tried again next round.
            }
          }),
      )
    } finally {
      this.#applying = false
    }
  }

  async #waitForRpc(validator: LabValidator): Promise<void> {
    const deadline = this.#now() + restartReadyTimeoutMs
    while (this.#now() < deadline && validator.process === 'running') {
      const answered = await rpcCall(validator.rpc, 'status', {}, { timeoutMs: 1_000 }).then(
        () => true,
        () => false,
      )
      if (answered) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    this.#log(`validator ${validator.index} did not answer within ${restartReadyTimeoutMs} ms of its restart`)
  }

  async #writeInfo(): Promise<void> {
    const pids = new Map(this.validators.map((validator) => [validator.index, validator.pid]))
    const fixtures = new Map<number, string>()
    for (const validator of this.validators)
      if (validator.fixture !== null) fixtures.set(validator.index, validator.fixture)
    const { layout } = this.#testnet
    await writeTestnetInfo(layout.dir, testnetInfo(layout, pids, fixtures))
  }

  #log(text: string): void {
    const event = { t_ms: this.#now(), text }
    this.events.push(event)
    if (this.events.length > eventCountMax) this.events.shift()
    this.#notify(event)
  }

  #notify(event?: LabEvent): void {
    for (const listener of this.#listeners) listener(event)
  }
}
