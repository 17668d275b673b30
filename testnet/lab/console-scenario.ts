// A scenario started from the console (POST /api/scenario) on the testnet already running: its fixtures are
// set by restarts, its load and steps are played through the lab, and the history checker's verdict lands in
// the lab state (`scenario`). One at a time; scenarios that need their own testnet (another size, twins, a
// fixture sweep) are refused with the command that runs them.

import { join } from 'node:path'
import { historyFileName } from '../history/check-testnet.js'
import type { RunningTestnet } from '../runner.js'
import type { FaultLab } from './fault-lab.js'
import { LabRequestError } from './lab-error.js'
import { loadScenario, type Scenario, ScenarioFileError } from './scenario-file.js'
import { playScenario } from './scenario-play.js'
import { judgeScenario } from './scenario-verdict.js'

export function consoleScenarioRunner(
  lab: FaultLab,
  testnet: RunningTestnet,
): (name: string) => Promise<void> {
  return async (name) => {
    if (lab.scenario?.state === 'running') {
      throw new LabRequestError('conflict', `scenario ${lab.scenario.name} is still running`)
    }
    const scenario = await loadScenario(name).catch((error: unknown) => {
      throw error instanceof ScenarioFileError ? new LabRequestError('bad-request', error.message) : error
    })
    const ownTestnet = `it needs its own testnet: npm run scenario -- ${name}`
    if (scenario.validators !== lab.validators.length) {
      throw new LabRequestError(
        'conflict',
        `${name} runs ${scenario.validators} validators, this testnet has ${lab.validators.length}; ${ownTestnet}`,
      )
    }
    if (scenario.twins.length > 0 || scenario.eachFixture !== undefined) {
      throw new LabRequestError('conflict', `${name} runs twins or a fixture sweep; ${ownTestnet}`)
    }
    if (testnet.info.accounts.length < scenario.load.clients) {
      throw new LabRequestError(
        'conflict',
        `${name} needs ${scenario.load.clients} funded accounts, this testnet has ${testnet.info.accounts.length}`,
      )
    }
    lab.scenario = { name, state: 'running', step: 'setting fixtures' }
    void play(lab, testnet, scenario).catch((error: unknown) => {
      lab.scenario = {
        name,
        state: 'failed',
        step: `stopped: ${error instanceof Error ? error.message : String(error)}`,
      }
      lab.log(`scenario ${name} stopped: ${lab.scenario.step}`)
    })
  }
}

async function play(lab: FaultLab, testnet: RunningTestnet, scenario: Scenario): Promise<void> {
  const { name } = scenario
  for (const validator of lab.validators) {
    const fixture = scenario.byzantine[validator.index] ?? null
    if (validator.fixture !== fixture)
      await lab.execute({ command: 'restart', validator: validator.index, fixture })
  }
  lab.scenario = {
    name,
    state: 'running',
    step: `load and ${scenario.steps.length} steps for ${scenario.durationMs} ms`,
  }
  const dir = testnet.layout.dir
  const result = await playScenario({
    lab,
    scenario,
    info: testnet.info,
    historyFile: join(dir, historyFileName),
  })
  lab.scenario = { name, state: 'running', step: 'checking the history' }
  const { verdict } = await judgeScenario({ lab, scenario, fixture: null, play: result, dir })
  lab.scenario = { name, state: verdict.passed ? 'passed' : 'failed', step: 'done', verdict }
  lab.log(`scenario ${name} ${verdict.passed ? 'passed' : 'failed'}`)
}
