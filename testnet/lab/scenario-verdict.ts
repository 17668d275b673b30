// A scenario's verdict, the same for `quorate scenario` and a run from the console: the faults a check cannot
// see through are lifted (paused validators resumed, links healed; killed ones stay down), the evidence the
// honest validators hold is read, the client-history checker runs with the last step as the heal, and each step's
// expectations are judged.

import { checkTestnet } from '../history/check-testnet.js'
import { type CheckReport, reportJson } from '../history/report.js'
import { type EvidenceSummary, evidenceSummary } from './evidence-summary.js'
import type { FaultLab } from './fault-lab.js'
import type { Scenario } from './scenario-file.js'
import type { PlayResult } from './scenario-play.js'

export interface ScenarioVerdict {
  readonly scenario: string
  readonly fixture: string | null
  readonly passed: boolean
  readonly expectations: ReadonlyArray<{
    readonly name: string
    readonly ok: boolean
    readonly detail: string
  }>
  readonly play: PlayResult
  readonly evidence: EvidenceSummary
  readonly check: object
}

export interface JudgeOptions {
  readonly lab: FaultLab
  readonly scenario: Scenario
  /** The fixture of a sweep's run, null otherwise. */
  readonly fixture: string | null
  readonly play: PlayResult
  /** The testnet's directory (its testnet.json and history.jsonl). */
  readonly dir: string
  readonly onProgress?: (line: string) => void
}

export async function judgeScenario(
  options: JudgeOptions,
): Promise<{ verdict: ScenarioVerdict; report: CheckReport }> {
  const { lab, scenario, play } = options
  for (const validator of lab.validators) {
    if (validator.process === 'paused') await lab.execute({ command: 'resume', validator: validator.index })
  }
  if (lab.links.entries().length > 0) await lab.execute({ command: 'heal' })
  const honest = lab.validators.filter((validator) => lab.isHonestAndRunning(validator.index, scenario.twins))
  const evidence = await evidenceSummary(honest)
  const report = await checkTestnet({
    dir: options.dir,
    exclude: scenario.twins,
    lastHealMs: play.lastFaultMs,
    livenessBoundMs: scenario.livenessBoundMs,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  })
  return { verdict: verdictOf(scenario, options.fixture, play, report, evidence), report }
}

function verdictOf(
  scenario: Scenario,
  fixture: string | null,
  play: PlayResult,
  report: CheckReport,
  evidence: EvidenceSummary,
): ScenarioVerdict {
  const expectations = play.steps.flatMap((step, position) => {
    const results: Array<{ name: string; ok: boolean; detail: string }> = []
    const what = step.command === null ? 'checkpoint' : String(step.command.command)
    if (step.error !== null) {
      results.push({
        name: `step ${position} ran`,
        ok: false,
        detail: `${what} at ${step.at_ms} ms: ${step.error}`,
      })
    }
    if (step.expect_commits !== null) {
      results.push({
        name: `step ${position} commits ${step.expect_commits}`,
        ok: step.expectation_met === true,
        detail: `${what} at ${step.at_ms} ms: ${step.blocks_committed} blocks in the next ${step.window_ms} ms`,
      })
    }
    return results
  })
  const passed = report.verdict.ok && expectations.every((expectation) => expectation.ok)
  return { scenario: scenario.name, fixture, passed, expectations, play, evidence, check: reportJson(report) }
}
