// The validators table: one row per validator, made once from the page's template and then only updated. A
// validator that stops answering keeps its last height, marked as such, so falling behind stays visible; a
// change of health is announced to screen readers.

import { byId, option, setText } from './dom.js'
import { formatCount } from './format.js'
import { announce } from './messages.js'
import { isCount, isObject, sameList } from './values.js'

const validatorRows = byId('validator-rows')
const rowTemplate = /** @type {HTMLTemplateElement} */ (byId('validator-row-template'))
/** index → the row's elements, made once and then only updated. */
const rows = new Map()
let fixtureNames = []

/** The row of validator `index`: its restart menu and skew field, for the controls. */
export function rowOf(index) {
  return rows.get(index)
}

/**
 * What the status cell says: the lab's own process state when it stopped the process, otherwise whether the
 * validator answers its status calls.
 */
function healthOf(validator) {
  const process = validator.process
  if (process === 'paused' || process === 'killed' || process === 'exited') return process
  return process === 'running' && validator.healthy === true ? 'up' : 'down'
}

function makeRow(index) {
  const fragment = /** @type {DocumentFragment} */ (rowTemplate.content.cloneNode(true))
  const row = /** @type {HTMLTableRowElement} */ (fragment.firstElementChild)
  row.dataset.validator = String(index)
  const name = `validator ${index}`
  for (const span of row.querySelectorAll('[data-name]')) span.textContent = ` ${name}`
  const select = /** @type {HTMLSelectElement} */ (row.querySelector('[data-input="restart-as"]'))
  const skew = /** @type {HTMLInputElement} */ (row.querySelector('[data-input="skew"]'))
  // Ids made per row: the template's own ids never reach the document.
  select.id = `restart-as-${index}`
  skew.id = `skew-${index}`
  const selectLabel = row.querySelector('[data-label="restart-as"]')
  selectLabel.htmlFor = select.id
  selectLabel.textContent = `Restart ${name} as`
  const skewLabel = row.querySelector('[data-label="skew"]')
  skewLabel.htmlFor = skew.id
  skewLabel.textContent = `Clock skew of ${name}, in ms`
  const cells = {}
  for (const cell of row.querySelectorAll('[data-field]')) cells[cell.dataset.field] = cell
  setText(cells.name, String(index))
  fillFixtureOptions(select)
  return { row, cells, select, skew, health: undefined, lastHeight: undefined }
}

/** "as before", "honest", then every fixture, keeping the choice already made. */
function fillFixtureOptions(select) {
  const wanted = ['', 'honest', ...fixtureNames]
  const present = [...select.options].map((element) => element.value)
  if (sameList(present, wanted)) return
  const chosen = select.value
  for (const name of fixtureNames) {
    if (!present.includes(name)) select.append(option(name))
  }
  select.value = wanted.includes(chosen) ? chosen : ''
}

export function renderFixtures(names) {
  if (!Array.isArray(names)) return
  const strings = names.filter((name) => typeof name === 'string')
  if (sameList(strings, fixtureNames)) return
  fixtureNames = strings
  for (const entry of rows.values()) fillFixtureOptions(entry.select)
}

export function renderValidators(validators) {
  if (rows.size === 0) validatorRows.replaceChildren()
  for (const validator of validators) {
    if (!isCount(validator.index)) continue
    let entry = rows.get(validator.index)
    if (entry === undefined) {
      entry = makeRow(validator.index)
      rows.set(validator.index, entry)
      validatorRows.append(entry.row)
    }
    updateRow(entry, validator)
  }
  const present = new Set(validators.map((validator) => validator.index))
  for (const [index, entry] of rows) {
    if (present.has(index)) continue
    entry.row.remove()
    rows.delete(index)
  }
}

function updateRow(entry, validator) {
  const { cells, row } = entry
  const status = isObject(validator.status) ? validator.status : {}
  const health = healthOf(validator)
  if (entry.health !== undefined && entry.health !== health)
    announce(`validator ${validator.index} ${health}`)
  entry.health = health
  if (row.dataset.health !== health) row.dataset.health = health
  setText(cells.health, health)
  setText(cells.process, String(validator.process ?? '—'))
  setText(cells.fixture, typeof validator.fixture === 'string' ? validator.fixture : 'honest')
  if (isCount(status.height)) entry.lastHeight = status.height
  const heightStale = !isCount(status.height) && entry.lastHeight !== undefined
  setText(cells.height, heightStale ? `${entry.lastHeight} (last known)` : formatCount(status.height))
  if (heightStale !== cells.height.hasAttribute('data-stale'))
    cells.height.toggleAttribute('data-stale', heightStale)
  setText(cells.view, formatCount(status.view))
  setText(cells.leader, formatCount(status.leader))
  setText(cells.peers, formatCount(status.peers))
  setText(cells.mempool, formatCount(status.mempool_txs))
  const answering = validator.healthy === true ? 'yes' : 'no'
  setText(cells.healthy, status.catching_up === true ? `${answering}, catching up` : answering)
  const skew = validator.clock_skew_ms
  setText(cells.skew, isCount(skew) ? `${skew > 0 ? '+' : ''}${skew} ms` : '—')
  const title = validator.pid === undefined ? '' : `${validator.name ?? ''} pid ${validator.pid}`.trim()
  if (cells.name.title !== title) cells.name.title = title
}
