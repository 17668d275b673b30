// The scenario runner: the menu of scenarios the runner ships, the button that starts one against this testnet,
// and the running (or last) scenario's progress, one term per field the runner reports. Its verdict is
// announced to screen readers once.

import { getJson, post } from './api.js'
import { byId, option, setText } from './dom.js'
import { describeError, describeValue } from './format.js'
import { announce, showMessage } from './messages.js'
import { isObject, listOf, sameList } from './values.js'

const scenarioSelect = /** @type {HTMLSelectElement} */ (byId('scenario-name'))
const scenarioIdle = byId('scenario-idle')
const scenarioProgress = byId('scenario-progress')
/** undefined until the names arrive, from the state or from api/scenarios, whichever is first. */
let scenarioNames
let scenarioVerdict

function scenarioNameOf(entry) {
  if (typeof entry === 'string') return entry
  return typeof entry?.name === 'string' ? entry.name : undefined
}

export function renderScenarioNames(list) {
  if (!Array.isArray(list)) return
  const names = list.map(scenarioNameOf).filter((name) => name !== undefined)
  if (scenarioNames !== undefined && sameList(names, scenarioNames)) return
  scenarioNames = names
  const chosen = scenarioSelect.value
  const options = names.map((name) => option(name))
  if (options.length === 0) options.push(option('', '(no scenarios)'))
  scenarioSelect.replaceChildren(...options)
  if (names.includes(chosen)) scenarioSelect.value = chosen
}

export async function loadScenarioNames() {
  try {
    const reply = await getJson('api/scenarios')
    if (scenarioNames === undefined) renderScenarioNames(Array.isArray(reply) ? reply : reply.scenarios)
  } catch (error) {
    if (scenarioNames === undefined) {
      renderScenarioNames([])
      showMessage('error', `scenarios: ${describeError(error)}`)
    }
  }
}

export function renderScenario(scenario) {
  const present = isObject(scenario)
  scenarioIdle.hidden = present
  scenarioProgress.hidden = !present
  if (!present) return
  const entries = Object.entries(scenario)
  const terms = scenarioProgress.querySelectorAll('dt')
  if (terms.length !== entries.length || entries.some(([key], i) => terms[i]?.textContent !== key)) {
    scenarioProgress.replaceChildren(
      ...entries.flatMap(([key]) => [
        Object.assign(document.createElement('dt'), { textContent: key }),
        document.createElement('dd'),
      ]),
    )
  }
  const values = scenarioProgress.querySelectorAll('dd')
  entries.forEach(([, value], i) => {
    setText(values[i], describeValue(value))
  })
  // The verdict is scenario-verdict.ts's: expectations and the history checker's checks, each with `ok`.
  const { verdict } = scenario
  if (isObject(verdict) && JSON.stringify(verdict) !== scenarioVerdict) {
    scenarioVerdict = JSON.stringify(verdict)
    const failing = [...listOf(verdict.expectations), ...listOf(verdict.check?.checks)]
      .filter((check) => check?.ok === false)
      .map((check) => check.name)
    const why = failing.length === 0 ? '' : ` (failed: ${failing.join(', ')})`
    announce(`scenario ${scenario.name ?? ''}: ${scenario.state ?? ''}${why}`)
  }
}

export function wireScenarioForm() {
  byId('scenario-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const name = scenarioSelect.value
    if (name === '') {
      showMessage('error', 'run scenario: choose a scenario first')
      return
    }
    void post('api/scenario', { name }, `run scenario ${name}`)
  })
}
