// Plays a scenario's load and timed steps against a fault lab, then measures each step's window: blocks and
// acknowledged transactions from the step to the next, views entered without a commit, and how long after the
// step the next acknowledged commit came (the recovery time, for a heal, resume or restart).

import { setTimeout as sleep } from 'node:timers/promises'
import { readHistoryFile } from '../history/history-file.js'
import { startHistoryLoad } from '../history/load-generator.js'
import type { HistoryRecord } from '../history/records.js'
import type { TestnetInfo } from '../info.js'
import { parseLabCommand } from './commands.js'
import type { FaultLab } from './fault-lab.js'
import type { Scenario, ScenarioStep } from './scenario-file.js'
import { resolveStep } from './step-resolution.js'
import type { TimelineEntry } from './timeline.js'

/** Blocks committed this soon after a step are still the ones under way before it ("none" windows skip it). */
export const inFlightGraceMs = 2_000

export interface StepFigures {
  readonly at_ms: number
  /** The command as run (references resolved), or null for a checkpoint. */
  readonly command: Record<string, unknown> | null
  readonly error: string | null
  readonly window_ms: number
  readonly blocks_committed: number
  readonly txs_acknowledged: number
  readonly view_changes: number
  /** From the step to the first acknowledged commit after it; null if none came before the end. */
  readonly next_ack_ms: number | null
  readonly expect_commits: 'some' | 'none' | null
  readonly expectation_met: boolean | null
}

export interface PlayResult {
  readonly startedAtMs: number
  /** When the last step with a command ran (the load's start when none did). */
  readonly lastFaultMs: number
  readonly steps: readonly StepFigures[]
  readonly load: { invoked: number; ok: number; fail: number; unknown: number }
}

export interface PlayOptions {
  readonly lab: FaultLab
  readonly scenario: Scenario
  readonly info: TestnetInfo
  readonly historyFile: string
  /** Validators the load must not use besides those not running or running a fixture (twins). */
  readonly untrusted?: readonly number[]
  readonly signal?: AbortSignal
}

export async function playScenario(options: PlayOptions): Promise<PlayResult> {
  const { lab, scenario } = options
  const untrusted = options.untrusted ?? []
  const load = await startHistoryLoad({
    info: options.info,
    historyFile: options.historyFile,
    clients: scenario.load.clients,
    intervalMs: scenario.load.intervalMs,
    isUsable: (index) => lab.isHonestAndRunning(index, untrusted),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  const startedAtMs = Date.now()
  const ran: Array<{
    step: ScenarioStep
    atMs: number
    command: Record<string, unknown> | null
    error: string | null
  }> = []
  let lastFaultMs = startedAtMs
  try {
    for (const step of scenario.steps) {
      const wait = startedAtMs + step.atMs - Date.now()
      if (wait > 0)
        await sleep(wait, undefined, options.signal === undefined ? {} : { signal: options.signal })
      const atMs = Date.now()
      if (step.do === undefined) {
        ran.push({ step, atMs, command: null, error: null })
        continue
      }
      let command: Record<string, unknown> = { ...step.do }
      try {
        command = resolveStep(lab, step.do)
        lab.log(`scenario ${scenario.name}: ${JSON.stringify(command)}`)
        await lab.execute(parseLabCommand(command))
        ran.push({ step, atMs, command, error: null })
      } catch (error) {
        ran.push({ step, atMs, command, error: error instanceof Error ? error.message : String(error) })
      }
      lastFaultMs = atMs
    }
    const rest = startedAtMs + scenario.durationMs - Date.now()
    if (rest > 0) await sleep(rest, undefined, options.signal === undefined ? {} : { signal: options.signal })
  } finally {
    await load.stop()
  }
  const endedAtMs = Date.now()
  const { records } = await readHistoryFile(options.historyFile)
  const timeline = lab.timeline.entries()
  const steps = ran.map((entry, position) => {
    const until = ran[position + 1]?.atMs ?? endedAtMs
    return stepFigures(entry, until, timeline, records)
  })
  return { startedAtMs, lastFaultMs, steps, load: load.summary }
}

function stepFigures(
  entry: { step: ScenarioStep; atMs: number; command: Record<string, unknown> | null; error: string | null },
  untilMs: number,
  timeline: readonly TimelineEntry[],
  records: readonly HistoryRecord[],
): StepFigures {
  const { step, atMs } = entry
  const blocks = heightAt(timeline, untilMs) - heightAt(timeline, atMs)
  const afterGrace = heightAt(timeline, untilMs) - heightAt(timeline, atMs + inFlightGraceMs)
  const inWindow = timeline.filter((point) => point.t_ms > atMs && point.t_ms <= untilMs)
  const acks = records.filter((record) => record.op === 'ok' && record.t_ms > atMs)
  const expect = step.expectCommits ?? null
  return {
    at_ms: step.atMs,
    command: entry.command,
    error: entry.error,
    window_ms: untilMs - atMs,
    blocks_committed: blocks,
    txs_acknowledged: acks.filter((record) => record.t_ms <= untilMs).length,
    view_changes: inWindow.reduce((sum, point) => sum + point.view_changes, 0),
    next_ack_ms: acks.length === 0 ? null : Math.min(...acks.map((record) => record.t_ms)) - atMs,
    expect_commits: expect,
    expectation_met: expect === null ? null : expect === 'some' ? blocks > 0 : afterGrace === 0,
  }
}

/** The highest committed height the timeline saw at `timeMs` (its last entry at or before it). */
function heightAt(timeline: readonly TimelineEntry[], timeMs: number): number {
  let height = 0
  for (const point of timeline) {
    if (point.t_ms > timeMs) break
    height = point.height
  }
  return height
}
