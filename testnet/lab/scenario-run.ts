// `quorate scenario NAME` (`npm run scenario -- NAME`): a fresh testnet as the scenario file describes, its load
// and steps played through a fault lab, then the client-history checker and the scenario's own expectations.
// The verdict is printed and written to DIR/verdict.json.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { byzantineNames } from '../byzantine/registry.js'
import { historyFileName } from '../history/check-testnet.js'
import { type CheckReport, reportText } from '../history/report.js'
import { watchProgress } from '../progress.js'
import { startTestnet } from '../runner.js'
import { FaultLab } from './fault-lab.js'
import type { Scenario } from './scenario-file.js'
import { playScenario } from './scenario-play.js'
import { judgeScenario, type ScenarioVerdict } from './scenario-verdict.js'
import { startTwin } from './twins.js'

export interface ScenarioRunOptions {
  readonly scenario: Scenario
  /** Wiped and used for the testnet (and, for a fixture sweep, one subdirectory per fixture). */
  readonly dir: string
  readonly basePort: number
  /** For a sweep (`each_fixture`): only this fixture. */
  readonly fixture?: string
  readonly print: (line: string) => void
  readonly signal?: AbortSignal
}

/** One verdict per run: a sweep runs once per fixture. */
export async function runScenario(options: ScenarioRunOptions): Promise<ScenarioVerdict[]> {
  const { scenario } = options
  if (scenario.eachFixture === undefined)
    return [await runOnce(options, scenario.byzantine, options.dir, null)]
  const fixtures = options.fixture === undefined ? byzantineNames : [options.fixture]
  const verdicts: ScenarioVerdict[] = []
  for (const fixture of fixtures) {
    const byzantine = Object.fromEntries(scenario.eachFixture.map((index) => [index, fixture]))
    verdicts.push(
      await runOnce(options, { ...scenario.byzantine, ...byzantine }, join(options.dir, fixture), fixture),
    )
  }
  return verdicts
}

async function runOnce(
  options: ScenarioRunOptions,
  byzantine: Readonly<Record<number, string>>,
  dir: string,
  fixture: string | null,
): Promise<ScenarioVerdict> {
  const { scenario, print } = options
  const title = fixture === null ? scenario.name : `${scenario.name} (${fixture})`
  print(`scenario ${title}: ${scenario.description}`)
  const testnet = await startTestnet({
    dir,
    reset: true,
    validators: scenario.validators,
    accounts: scenario.load.clients,
    basePort: options.basePort,
    byzantine,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  const watching = new AbortController()
  const lab = new FaultLab({ testnet })
  try {
    for (const index of scenario.twins) await startTwin(testnet, index)
    lab.onChange((event) => {
      if (event !== undefined) print(`lab: ${event.text}`)
    })
    const progress = watchProgress({
      rpcUrls: testnet.info.validators.map((validator) => validator.rpc),
      signal: watching.signal,
      print: (line) => print(`  ${line}`),
      onTick: (tick) => lab.observe(tick),
      annotate: () => lab.faults().join('; '),
    })
    const play = await playScenario({
      lab,
      scenario,
      info: testnet.info,
      historyFile: join(dir, historyFileName),
      untrusted: scenario.twins,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    const { verdict, report } = await judgeScenario({
      lab,
      scenario,
      fixture,
      play,
      dir,
      onProgress: (line) => print(`  check: ${line}`),
    })
    watching.abort()
    await progress
    printVerdict(verdict, report, print)
    await writeFile(join(dir, 'verdict.json'), `${JSON.stringify(verdict, null, 2)}\n`)
    return verdict
  } finally {
    watching.abort()
    lab.close()
    await testnet.stop()
  }
}

function printVerdict(verdict: ScenarioVerdict, report: CheckReport, print: (line: string) => void): void {
  print('steps (blocks and acknowledged transactions until the next step; next ack: recovery time):')
  for (const step of verdict.play.steps) {
    const what = step.command === null ? 'checkpoint' : JSON.stringify(step.command)
    print(
      `  at ${step.at_ms} ms ${what}: ${step.blocks_committed} blocks, ${step.txs_acknowledged} acks, ` +
        `${step.view_changes} view changes in ${step.window_ms} ms; next ack after ` +
        `${step.next_ack_ms === null ? 'none' : `${step.next_ack_ms} ms`}`,
    )
  }
  const { load } = verdict.play
  print(`load: ${load.invoked} sent, ${load.ok} acknowledged, ${load.fail} rejected, ${load.unknown} unknown`)
  const offenders = Object.entries(verdict.evidence.by_offender).map(
    ([offender, kinds]) =>
      `${offender}: ${Object.entries(kinds)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(', ')}`,
  )
  print(`evidence held by the honest validators: ${offenders.length === 0 ? 'none' : offenders.join('; ')}`)
  for (const expectation of verdict.expectations) {
    print(`${expectation.ok ? 'PASS' : 'FAIL'} ${expectation.name}  ${expectation.detail}`)
  }
  for (const line of reportText(report).split('\n')) print(line)
  print(
    `${verdict.passed ? 'PASSED' : 'FAILED'}: ${verdict.scenario}${verdict.fixture === null ? '' : ` (${verdict.fixture})`}`,
  )
}
