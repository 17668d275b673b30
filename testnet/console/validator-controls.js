// Each validator row's buttons: pause, resume, kill, restart (as it ran, honest, or as a fixture) and clock
// skew. One listener on the table serves every row, including rows added later; Enter in a skew field sets the
// skew, as a form would.

import { control } from './api.js'
import { byId } from './dom.js'
import { parseInteger } from './input.js'
import { showMessage } from './messages.js'
import { rowOf } from './validators.js'

function restart(entry, validator) {
  const choice = entry.select.value
  const body = { command: 'restart', validator }
  if (choice === 'honest') body.fixture = null
  else if (choice !== '') body.fixture = choice
  const how = choice === '' ? '' : ` as ${choice}`
  void control(body, `restart validator ${validator}${how}`)
}

function skew(entry, validator) {
  const ms = parseInteger(entry.skew.value)
  if (ms === undefined) {
    showMessage('error', `skew validator ${validator}: enter the clock skew as a whole number of ms`)
    entry.skew.focus()
    return
  }
  void control({ command: 'skew', validator, ms }, `skew validator ${validator} by ${ms} ms`)
}

export function wireValidatorControls() {
  const validatorRows = byId('validator-rows')
  validatorRows.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null
    if (button === null) return
    const row = button.closest('tr[data-validator]')
    const entry = row === null ? undefined : rowOf(Number(row.dataset.validator))
    if (entry === undefined) return
    const validator = Number(row.dataset.validator)
    const action = button.dataset.action
    if (action === 'pause' || action === 'resume' || action === 'kill') {
      void control({ command: action, validator }, `${action} validator ${validator}`)
    } else if (action === 'restart') {
      restart(entry, validator)
    } else if (action === 'skew') {
      skew(entry, validator)
    }
  })

  validatorRows.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !(event.target instanceof HTMLInputElement)) return
    const button = event.target.closest('.control-group')?.querySelector('button[data-action="skew"]')
    if (button instanceof HTMLButtonElement) {
      event.preventDefault()
      button.click()
    }
  })
}
