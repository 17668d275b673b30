// The fault lab's web console (docs/fault-lab.md). One EventSource brings the lab state (`event: state`, once a
// second and after every command); every render updates the DOM in place, so an input keeps its focus and its
// half-typed value while the figures around it change. Controls are JSON posts to /api/control. No framework
// and no build step: the browser loads this file as it is, from the runner's own origin.

const controlTimeoutMs = 30_000
const fetchTimeoutMs = 10_000
const reconnectDelayMsMin = 500
const reconnectDelayMsMax = 10_000
const timelineWindowMs = 300_000
const blocksShownMax = 20
const eventsShownMax = 200
const markerLabelLengthMax = 28

const svgNamespace = 'http://www.w3.org/2000/svg'

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`the console page has no #${id}`)
  return element
}

/** Assigns text only when it changed: no needless layout, no lost selection. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text
}

function isCount(value) {
  return typeof value === 'number' && Number.isFinite(value)
}

function formatCount(value) {
  return isCount(value) ? String(value) : '—'
}

function formatTime(ms) {
  return isCount(ms) ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '—'
}

function shortHash(hash) {
  return typeof hash === 'string' && hash.length > 14 ? `${hash.slice(0, 12)}…` : String(hash ?? '—')
}

/** "0, 2 3" → [0, 2, 3]; undefined when any part is not a validator index. */
function parseIndexList(text) {
  const parts = text.split(/[\s,]+/).filter((part) => part !== '')
  if (parts.length === 0 || !parts.every((part) => /^\d+$/.test(part))) return undefined
  return parts.map(Number)
}

/** A whole number typed into an input, or undefined. */
function parseInteger(text) {
  const trimmed = text.trim()
  return /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : undefined
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

// ---------------------------------------------------------------------------------------------------------------
// Messages

const controlMessage = byId('control-message')
const announcer = byId('announcer')

/** @param {'pending' | 'ok' | 'error'} kind */
function showMessage(kind, text) {
  controlMessage.dataset.kind = kind
  controlMessage.textContent = text
}

/** Says something to screen readers without showing it (a validator going down, a verdict). */
function announce(text) {
  announcer.textContent = text
}

// ---------------------------------------------------------------------------------------------------------------
// Talking to the runner

/** The body as JSON; null when it is empty, not JSON, or cut off. */
async function readJson(response) {
  try {
    const text = await response.text()
    return text === '' ? null : JSON.parse(text)
  } catch {
    return null
  }
}

function errorMessageOf(reply, response) {
  const message = reply?.error?.message
  return typeof message === 'string' && message !== ''
    ? message
    : `HTTP ${response.status} ${response.statusText}`
}

/** Which post the message line belongs to: a slow answer never overwrites a later command's message. */
let postSequence = 0

/** POSTs a command; shows the runner's error message, or renders the state it answered with. */
async function post(path, body, label) {
  const sequence = ++postSequence
  const show = (kind, text) => {
    if (sequence === postSequence) showMessage(kind, text)
  }
  show('pending', `${label}…`)
  let response
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(controlTimeoutMs),
    })
  } catch (error) {
    show(
      'error',
      `${label} failed: the lab did not answer (${error instanceof Error ? error.message : error})`,
    )
    return
  }
  const reply = await readJson(response)
  if (!response.ok || reply === null || reply.error !== undefined) {
    show('error', `${label} failed: ${errorMessageOf(reply, response)}`)
    return
  }
  show('ok', `${label}: done.`)
  if (isLabState(reply.state)) render(reply.state)
}

function control(body, label) {
  return post('api/control', body, label)
}

async function getJson(path) {
  const response = await fetch(path, { signal: AbortSignal.timeout(fetchTimeoutMs) })
  const reply = await readJson(response)
  if (!response.ok || reply === null || reply.error !== undefined)
    throw new Error(errorMessageOf(reply, response))
  return reply
}

function isLabState(value) {
  return typeof value === 'object' && value !== null && Array.isArray(value.validators)
}

// ---------------------------------------------------------------------------------------------------------------
// Validators

const validatorRows = byId('validator-rows')
const rowTemplate = /** @type {HTMLTemplateElement} */ (byId('validator-row-template'))
/** index → the row's elements, made once and then only updated. */
const rows = new Map()
let fixtureNames = []

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

function fillFixtureOptions(select) {
  const wanted = ['', 'honest', ...fixtureNames]
  const present = [...select.options].map((option) => option.value)
  if (present.join('\n') === wanted.join('\n')) return
  const chosen = select.value
  for (const name of fixtureNames) {
    if (present.includes(name)) continue
    const option = document.createElement('option')
    option.value = name
    option.textContent = name
    select.append(option)
  }
  select.value = wanted.includes(chosen) ? chosen : ''
}

function renderFixtures(names) {
  if (!Array.isArray(names)) return
  const strings = names.filter((name) => typeof name === 'string')
  if (strings.join('\n') === fixtureNames.join('\n')) return
  fixtureNames = strings
  for (const entry of rows.values()) fillFixtureOptions(entry.select)
}

function renderValidators(validators) {
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
  const status = typeof validator.status === 'object' && validator.status !== null ? validator.status : {}
  const health = healthOf(validator)
  if (entry.health !== undefined && entry.health !== health)
    announce(`validator ${validator.index} ${health}`)
  entry.health = health
  if (row.dataset.health !== health) row.dataset.health = health
  setText(cells.health, health)
  setText(cells.process, String(validator.process ?? '—'))
  setText(cells.fixture, typeof validator.fixture === 'string' ? validator.fixture : 'honest')
  // Not answering: keep the last height it reported, marked as such, so falling behind stays visible.
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

validatorRows.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null
  if (button === null) return
  const row = button.closest('tr[data-validator]')
  const entry = row === null ? undefined : rows.get(Number(row.dataset.validator))
  if (entry === undefined) return
  const validator = Number(row.dataset.validator)
  const action = button.dataset.action
  if (action === 'pause' || action === 'resume' || action === 'kill') {
    void control({ command: action, validator }, `${action} validator ${validator}`)
  } else if (action === 'restart') {
    const choice = entry.select.value
    const body = { command: 'restart', validator }
    if (choice === 'honest') body.fixture = null
    else if (choice !== '') body.fixture = choice
    const how = choice === '' ? '' : ` as ${choice}`
    void control(body, `restart validator ${validator}${how}`)
  } else if (action === 'skew') {
    const ms = parseInteger(entry.skew.value)
    if (ms === undefined) {
      showMessage('error', `skew validator ${validator}: enter the clock skew as a whole number of ms`)
      entry.skew.focus()
      return
    }
    void control({ command: 'skew', validator, ms }, `skew validator ${validator} by ${ms} ms`)
  }
})

// Enter in a row's skew field sets the skew, as a form would.
validatorRows.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !(event.target instanceof HTMLInputElement)) return
  const button = event.target.closest('.control-group')?.querySelector('button[data-action="skew"]')
  if (button instanceof HTMLButtonElement) {
    event.preventDefault()
    button.click()
  }
})

// ---------------------------------------------------------------------------------------------------------------
// Links and faults

const linkRows = byId('link-rows')
const linksTable = /** @type {HTMLTableElement} */ (linkRows.closest('table'))
const linksEmpty = byId('links-empty')
const faultsSummary = byId('faults-summary')
let renderedLinks = ''

function renderLinks(links, faults) {
  const list = Array.isArray(links) ? links : []
  const key = JSON.stringify(list)
  if (key !== renderedLinks) {
    renderedLinks = key
    linkRows.replaceChildren(
      ...list.map((link) => {
        const row = document.createElement('tr')
        for (const text of [
          formatCount(link.from),
          formatCount(link.to),
          link.cut === true ? 'cut' : 'no',
          formatCount(link.delay_ms),
          isCount(link.drop_rate) ? String(link.drop_rate) : '—',
        ]) {
          const cell = document.createElement('td')
          cell.textContent = text
          row.append(cell)
        }
        row.children[3].className = 'number'
        row.children[4].className = 'number'
        return row
      }),
    )
    linksTable.hidden = list.length === 0
    linksEmpty.hidden = list.length !== 0
  }
  const texts = Array.isArray(faults) ? faults.filter((fault) => typeof fault === 'string') : []
  setText(faultsSummary, texts.length === 0 ? 'No faults.' : `Faults: ${texts.join('; ')}.`)
  faultsSummary.dataset.faults = String(texts.length)
}

function formInput(form, name) {
  return /** @type {HTMLInputElement} */ (form.elements.namedItem(name))
}

byId('partition-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const input = formInput(event.currentTarget, 'groups')
  const groups = input.value.split('|').map((group) => parseIndexList(group))
  if (groups.length < 2 || groups.some((group) => group === undefined)) {
    showMessage('error', 'partition: write two or more groups of validator indexes, such as 0,1 | 2,3')
    input.focus()
    return
  }
  void control(
    { command: 'partition', groups },
    `partition ${groups.map((group) => group.join(',')).join(' | ')}`,
  )
})

byId('one-way-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const fromInput = formInput(event.currentTarget, 'from')
  const toInput = formInput(event.currentTarget, 'to')
  const from = parseIndexList(fromInput.value)
  const to = parseIndexList(toInput.value)
  if (from === undefined || to === undefined) {
    showMessage('error', 'cut one way: write validator indexes in both fields, such as 0 and 1,2,3')
    ;(from === undefined ? fromInput : toInput).focus()
    return
  }
  void control({ command: 'partition', from, to }, `cut ${from.join(',')} → ${to.join(',')}`)
})

byId('link-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const form = event.currentTarget
  const from = parseInteger(formInput(form, 'from').value)
  const to = parseInteger(formInput(form, 'to').value)
  const delayText = formInput(form, 'delay').value.trim()
  const dropText = formInput(form, 'drop').value.trim()
  const delay = delayText === '' ? 0 : parseInteger(delayText)
  const drop = dropText === '' ? 0 : Number(dropText)
  if (from === undefined || to === undefined || delay === undefined || !Number.isFinite(drop)) {
    showMessage('error', 'link: give the two validators, a delay in whole ms and a drop rate between 0 and 1')
    return
  }
  const both = formInput(form, 'both').checked
  void control(
    { command: 'link', from, to, delay_ms: delay, drop_rate: drop, both },
    `link ${from} ${both ? '↔' : '→'} ${to}: delay ${delay} ms, drop ${drop}`,
  )
})

byId('heal-button').addEventListener('click', () => {
  void control({ command: 'heal' }, 'heal every link')
})

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

const scenarioSelect = /** @type {HTMLSelectElement} */ (byId('scenario-name'))
const scenarioIdle = byId('scenario-idle')
const scenarioProgress = byId('scenario-progress')
let scenarioNames
let scenarioVerdict

function scenarioNameOf(entry) {
  if (typeof entry === 'string') return entry
  return typeof entry?.name === 'string' ? entry.name : undefined
}

function renderScenarioNames(list) {
  if (!Array.isArray(list)) return
  const names = list.map(scenarioNameOf).filter((name) => name !== undefined)
  if (scenarioNames !== undefined && names.join('\n') === scenarioNames.join('\n')) return
  scenarioNames = names
  const chosen = scenarioSelect.value
  const options = names.map((name) => {
    const option = document.createElement('option')
    option.value = name
    option.textContent = name
    return option
  })
  if (options.length === 0) {
    const none = document.createElement('option')
    none.value = ''
    none.textContent = '(no scenarios)'
    options.push(none)
  }
  scenarioSelect.replaceChildren(...options)
  if (names.includes(chosen)) scenarioSelect.value = chosen
}

async function loadScenarioNames() {
  try {
    const reply = await getJson('api/scenarios')
    if (scenarioNames === undefined) renderScenarioNames(Array.isArray(reply) ? reply : reply.scenarios)
  } catch (error) {
    if (scenarioNames === undefined) {
      renderScenarioNames([])
      showMessage('error', `scenarios: ${error instanceof Error ? error.message : error}`)
    }
  }
}

/** One term per field the runner reports for the running (or last) scenario, whatever its fields are. */
function renderScenario(scenario) {
  const present = typeof scenario === 'object' && scenario !== null
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
  const verdict = scenario.verdict ?? scenario.result ?? scenario.outcome
  if (verdict !== undefined && verdict !== null && JSON.stringify(verdict) !== scenarioVerdict) {
    scenarioVerdict = JSON.stringify(verdict)
    announce(`scenario ${scenario.name ?? ''}: ${describeValue(verdict)}`)
  }
}

function describeValue(value) {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) {
    return value.join(', ')
  }
  return JSON.stringify(value)
}

byId('scenario-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const name = scenarioSelect.value
  if (name === '') {
    showMessage('error', 'run scenario: choose a scenario first')
    return
  }
  void post('api/scenario', { name }, `run scenario ${name}`)
})

// ---------------------------------------------------------------------------------------------------------------
// Timeline: drawn by hand into an SVG, one column per second.

const timeline = byId('timeline')
const timelinePlot = byId('timeline-plot')
const timelineSummary = byId('timeline-summary')
const plotLeft = 44
const plotRight = 952
const labelRowHeight = 13
const labelRows = 3
/** A little over the width of an average character of the timeline's 11px labels. */
const labelCharWidth = 6
const barsTop = labelRows * labelRowHeight + 6
const barsHeight = 100
const axisLabelY = barsTop + barsHeight + 14
const lanesTop = axisLabelY + 8

function svg(name, attributes, text) {
  const element = document.createElementNS(svgNamespace, name)
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value))
  if (text !== undefined) element.textContent = text
  return element
}

function withTitle(element, text) {
  element.append(svg('title', {}, text))
  return element
}

function renderTimeline(state) {
  const samples = Array.isArray(state.timeline)
    ? state.timeline.filter((sample) => isCount(sample?.t_ms))
    : []
  const events = Array.isArray(state.events) ? state.events.filter((event) => isCount(event?.t_ms)) : []
  const validatorCount = Array.isArray(state.validators) ? state.validators.length : 0
  const nowMs = isCount(state.now_ms) ? state.now_ms : (samples.at(-1)?.t_ms ?? Date.now())
  const startMs = nowMs - timelineWindowMs
  const plotWidth = plotRight - plotLeft
  const x = (tMs) => plotLeft + ((tMs - startMs) / timelineWindowMs) * plotWidth
  const secondWidth = plotWidth / (timelineWindowMs / 1000)
  const laneHeight = validatorCount === 0 ? 0 : Math.max(2, Math.min(14, 84 / validatorCount))
  const height = Math.ceil(lanesTop + laneHeight * validatorCount + 6)
  timeline.setAttribute('viewBox', `0 0 960 ${height}`)

  const inWindow = samples.filter((sample) => sample.t_ms >= startMs && sample.t_ms <= nowMs)
  const commitsMax = Math.max(1, ...inWindow.map((sample) => (isCount(sample.commits) ? sample.commits : 0)))
  const parts = []

  // Axes and grid.
  parts.push(
    svg('line', {
      class: 'axis',
      x1: plotLeft,
      y1: barsTop + barsHeight,
      x2: plotRight,
      y2: barsTop + barsHeight,
    }),
  )
  parts.push(
    svg(
      'text',
      { class: 'axis-label', x: plotLeft - 4, y: barsTop + 8, 'text-anchor': 'end' },
      `${commitsMax}/s`,
    ),
  )
  parts.push(
    svg('text', { class: 'axis-label', x: plotLeft - 4, y: barsTop + barsHeight, 'text-anchor': 'end' }, '0'),
  )
  for (let secondsAgo = 300; secondsAgo >= 0; secondsAgo -= 60) {
    const at = x(nowMs - secondsAgo * 1000)
    parts.push(
      svg('line', { class: 'grid', x1: at, y1: barsTop, x2: at, y2: lanesTop + laneHeight * validatorCount }),
    )
    const anchor = secondsAgo === 300 ? 'start' : secondsAgo === 0 ? 'end' : 'middle'
    parts.push(
      svg(
        'text',
        { class: 'axis-label', x: at, y: axisLabelY, 'text-anchor': anchor },
        secondsAgo === 0 ? 'now' : `−${secondsAgo} s`,
      ),
    )
  }

  // Commits per second, and view changes as ticks above the bars.
  let blocks = 0
  let viewChanges = 0
  for (const sample of inWindow) {
    const commits = isCount(sample.commits) ? sample.commits : 0
    blocks += commits
    if (commits > 0) {
      const barHeight = (commits / commitsMax) * barsHeight
      parts.push(
        withTitle(
          svg('rect', {
            class: 'commits',
            x: x(sample.t_ms - 1000),
            y: barsTop + barsHeight - barHeight,
            width: Math.max(1, secondWidth - 0.5),
            height: barHeight,
          }),
          `${formatTime(sample.t_ms)}: ${commits} blocks, ${formatCount(sample.txs)} txs, height ${formatCount(sample.height)}`,
        ),
      )
    }
    if (isCount(sample.view_changes) && sample.view_changes > 0) {
      viewChanges += sample.view_changes
      const at = x(sample.t_ms - 500)
      parts.push(
        withTitle(
          svg('path', {
            class: 'view-change',
            d: `M${at - 3} ${barsTop} L${at + 3} ${barsTop} L${at} ${barsTop + 6} Z`,
          }),
          `${formatTime(sample.t_ms)}: ${sample.view_changes} view change${sample.view_changes === 1 ? '' : 's'}`,
        ),
      )
    }
  }

  // One lane per validator; a band where it did not answer.
  const downSeconds = new Map()
  for (let index = 0; index < validatorCount; index++) {
    const laneY = lanesTop + index * laneHeight
    if (laneHeight >= 8) {
      parts.push(
        svg(
          'text',
          { class: 'axis-label', x: plotLeft - 4, y: laneY + laneHeight - 2, 'text-anchor': 'end' },
          `v${index}`,
        ),
      )
    }
    parts.push(
      svg('rect', {
        class: 'lane',
        x: plotLeft,
        y: laneY,
        width: plotWidth,
        height: Math.max(1, laneHeight - 1),
      }),
    )
    let bandStart
    let previous
    const closeBand = () => {
      if (bandStart === undefined) return
      const seconds = Math.round((previous - bandStart) / 1000) + 1
      downSeconds.set(index, (downSeconds.get(index) ?? 0) + seconds)
      parts.push(
        withTitle(
          svg('rect', {
            class: 'down',
            'data-validator': index,
            x: x(bandStart - 1000),
            y: laneY,
            width: Math.max(1, x(previous) - x(bandStart - 1000)),
            height: Math.max(1, laneHeight - 1),
          }),
          `validator ${index} not answering from ${formatTime(bandStart - 1000)} to ${formatTime(previous)}`,
        ),
      )
      bandStart = undefined
    }
    for (const sample of inWindow) {
      const down = Array.isArray(sample.down) && sample.down.includes(index)
      if (down && bandStart === undefined) bandStart = sample.t_ms
      else if (!down) closeBand()
      if (down) previous = sample.t_ms
    }
    closeBand()
  }

  // Faults and process events as markers. Labels go newest first into the first of three rows where they
  // overlap no other label; a marker with no room keeps its line and its tooltip (the log has every text).
  const visibleEvents = events.filter((event) => event.t_ms >= startMs && event.t_ms <= nowMs)
  const rowsTaken = Array.from({ length: labelRows }, () => [])
  for (const event of [...visibleEvents].reverse()) {
    const at = x(event.t_ms)
    const text = String(event.text ?? '')
    const label = text.length > markerLabelLengthMax ? `${text.slice(0, markerLabelLengthMax - 1)}…` : text
    const labelWidth = label.length * labelCharWidth
    const leftward = at + 2 + labelWidth > plotRight
    const span = leftward ? [at - 2 - labelWidth, at - 2] : [at + 2, at + 2 + labelWidth]
    const row = rowsTaken.findIndex((taken) => taken.every(([from, to]) => span[1] < from || span[0] > to))
    const marker = svg('g', { class: 'event' })
    const lineTop = row === -1 ? barsTop - 4 : (row + 1) * labelRowHeight - 9
    marker.append(svg('line', { x1: at, y1: lineTop, x2: at, y2: lanesTop + laneHeight * validatorCount }))
    if (row !== -1) {
      rowsTaken[row].push(span)
      const anchor = leftward ? 'end' : 'start'
      marker.append(
        svg(
          'text',
          { x: leftward ? at - 2 : at + 2, y: (row + 1) * labelRowHeight, 'text-anchor': anchor },
          label,
        ),
      )
    }
    parts.push(withTitle(marker, `${formatTime(event.t_ms)}: ${text}`))
  }

  timelinePlot.replaceChildren(...parts)

  const latest = inWindow.at(-1)
  const down = [...downSeconds].map(([index, seconds]) => `validator ${index} for ${seconds} s`)
  setText(
    timelineSummary,
    inWindow.length === 0
      ? 'No samples yet.'
      : `${blocks} blocks in the last ${Math.round(inWindow.length)} s` +
          `${latest !== undefined && isCount(latest.height) ? ` (height ${latest.height})` : ''}, ` +
          `${viewChanges} view change${viewChanges === 1 ? '' : 's'}, ` +
          `${visibleEvents.length} event${visibleEvents.length === 1 ? '' : 's'}; ` +
          `not answering: ${down.length === 0 ? 'none' : down.join(', ')}.`,
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Recent blocks: fetched again whenever the highest height changes, one request at a time.

const blockRows = byId('block-rows')
const blocksTable = /** @type {HTMLTableElement} */ (blockRows.closest('table'))
const blocksStatus = byId('blocks-status')
let blocksHeightShown = -1
let blocksHeightWanted = -1
let blocksLoading = false

function highestHeight(validators) {
  let highest = -1
  for (const validator of validators) {
    const height = validator?.status?.height
    if (isCount(height) && height > highest) highest = height
  }
  return highest
}

function requestBlocks(height) {
  blocksHeightWanted = height
  if (blocksLoading || blocksHeightWanted === blocksHeightShown) return
  blocksLoading = true
  const loadingHeight = blocksHeightWanted
  getJson(`api/blocks?limit=${blocksShownMax}`)
    .then((reply) => {
      blocksHeightShown = loadingHeight
      renderBlocks(Array.isArray(reply) ? reply : (reply.blocks ?? reply.block_metas ?? []))
    })
    .catch((error) => {
      blocksHeightShown = loadingHeight
      setText(blocksStatus, `Could not load blocks: ${error instanceof Error ? error.message : error}`)
    })
    .finally(() => {
      blocksLoading = false
      if (blocksHeightWanted !== blocksHeightShown) requestBlocks(blocksHeightWanted)
    })
}

function renderBlocks(blocks) {
  const list = blocks.filter((block) => typeof block === 'object' && block !== null).slice(0, blocksShownMax)
  blocksTable.hidden = list.length === 0
  setText(blocksStatus, list.length === 0 ? 'No blocks yet.' : `The ${list.length} newest committed blocks.`)
  blockRows.replaceChildren(
    ...list.map((block) => {
      const row = document.createElement('tr')
      const txs = isCount(block.num_txs)
        ? block.num_txs
        : Array.isArray(block.txs)
          ? block.txs.length
          : block.tx_count
      const cells = [
        [formatCount(block.height), 'number'],
        [shortHash(block.hash), 'hash'],
        [formatCount(block.view), 'number'],
        [formatCount(block.proposer), 'number'],
        [formatCount(txs), 'number'],
        [formatTime(block.timestamp_ms), ''],
      ]
      for (const [text, className] of cells) {
        const cell = document.createElement('td')
        cell.textContent = text
        if (className !== '') cell.className = className
        row.append(cell)
      }
      if (typeof block.hash === 'string') row.children[1].title = block.hash
      return row
    }),
  )
}

// ---------------------------------------------------------------------------------------------------------------
// A transaction's path

const txResult = byId('tx-result')

function describeStep(step) {
  if (typeof step !== 'object' || step === null) return describeValue(step)
  // The runner answers { index, where: committed | mempool | not seen | no answer | a process state, height? }.
  if (isCount(step.height)) {
    const code = isCount(step.code) && step.code !== 0 ? ` (code ${step.code})` : ''
    return `committed at height ${step.height}${code}`
  }
  if (step.where === 'mempool') return 'waiting in its mempool'
  if (typeof step.where === 'string') return step.where
  return describeValue(step)
}

function renderTxPath(hash, reply) {
  const path = Array.isArray(reply) ? reply : (reply.path ?? reply.validators)
  const heading = document.createElement('p')
  heading.textContent = `Transaction ${shortHash(hash)}:`
  if (!Array.isArray(path)) {
    const pre = document.createElement('pre')
    pre.textContent = JSON.stringify(reply, null, 2)
    txResult.replaceChildren(heading, pre)
    return
  }
  const list = document.createElement('ul')
  list.className = 'tx-path'
  path.forEach((step, i) => {
    const item = document.createElement('li')
    const index = isCount(step?.validator) ? step.validator : isCount(step?.index) ? step.index : i
    item.textContent = `validator ${index}: ${describeStep(step)}`
    list.append(item)
  })
  txResult.replaceChildren(heading, list)
}

byId('tx-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const hash = formInput(event.currentTarget, 'hash').value.trim().toLowerCase()
  if (!/^[0-9a-f]+$/.test(hash)) {
    const message = document.createElement('p')
    message.className = 'error'
    message.textContent = 'Enter the transaction hash in hex.'
    txResult.replaceChildren(message)
    return
  }
  txResult.replaceChildren(Object.assign(document.createElement('p'), { textContent: 'Looking it up…' }))
  getJson(`api/tx?hash=${encodeURIComponent(hash)}`)
    .then((reply) => renderTxPath(hash, reply))
    .catch((error) => {
      const message = document.createElement('p')
      message.className = 'error'
      message.textContent = `Lookup failed: ${error instanceof Error ? error.message : error}`
      txResult.replaceChildren(message)
    })
})

// ---------------------------------------------------------------------------------------------------------------
// Event log: newest first; new events are prepended, nothing already shown is rebuilt.

const eventLog = byId('event-log')
const eventsEmpty = byId('events-empty')
let renderedEventKeys = []

function eventKey(event) {
  return `${event.t_ms}\u0000${event.text}`
}

function renderEvents(events) {
  const list = Array.isArray(events)
    ? events.filter((event) => typeof event === 'object' && event !== null)
    : []
  const keys = list.map(eventKey)
  const shownCount = renderedEventKeys.length
  // The log the runner holds is ours plus new ones at the end (minus old ones dropped at the front).
  const firstKept = shownCount === 0 ? -1 : keys.indexOf(renderedEventKeys[shownCount - 1])
  const appendOnly = shownCount === 0 || firstKept !== -1
  if (!appendOnly) eventLog.replaceChildren()
  const fresh = appendOnly && shownCount > 0 ? list.slice(firstKept + 1) : list
  for (const event of fresh) {
    const item = document.createElement('li')
    const time = document.createElement('time')
    time.dateTime = new Date(event.t_ms).toISOString()
    time.textContent = formatTime(event.t_ms)
    item.append(time, ` ${String(event.text ?? '')}`)
    eventLog.prepend(item)
  }
  while (eventLog.childElementCount > eventsShownMax) eventLog.lastElementChild?.remove()
  renderedEventKeys = keys.slice(-eventsShownMax)
  eventsEmpty.hidden = keys.length !== 0
}

// ---------------------------------------------------------------------------------------------------------------
// The state stream

const chainId = byId('chain-id')
const connectionState = byId('connection-state')
const disconnectedBanner = byId('disconnected')
let lastNowMs = -Infinity

function render(state) {
  // A reply and the stream can cross: never go back to an older state.
  if (isCount(state.now_ms)) {
    if (state.now_ms < lastNowMs) return
    lastNowMs = state.now_ms
  }
  setText(chainId, String(state.chain_id ?? '…'))
  renderFixtures(state.fixtures)
  renderValidators(state.validators)
  renderLinks(state.links, state.faults)
  if (Array.isArray(state.scenarios)) renderScenarioNames(state.scenarios)
  renderScenario(state.scenario)
  renderTimeline(state)
  renderEvents(state.events)
  const height = highestHeight(state.validators)
  if (height >= 0) requestBlocks(height)
}

function setConnected(connected) {
  const kind = connected ? 'live' : 'disconnected'
  if (connectionState.dataset.connection === kind) return
  connectionState.dataset.connection = kind
  connectionState.textContent = connected ? 'live' : 'disconnected'
  disconnectedBanner.hidden = connected
  document.body.classList.toggle('stale', !connected)
}

let reconnectDelayMs = reconnectDelayMsMin

function connect() {
  const source = new EventSource('api/events')
  source.addEventListener('open', () => {
    reconnectDelayMs = reconnectDelayMsMin
    setConnected(true)
  })
  source.addEventListener('state', (event) => {
    let state
    try {
      state = JSON.parse(event.data)
    } catch {
      return
    }
    if (!isLabState(state)) return
    setConnected(true)
    render(state)
  })
  source.addEventListener('error', () => {
    setConnected(false)
    // CONNECTING: the browser retries by itself. CLOSED (an HTTP error, a wrong content type): we retry.
    if (source.readyState !== EventSource.CLOSED) return
    source.close()
    setTimeout(connect, reconnectDelayMs)
    reconnectDelayMs = Math.min(reconnectDelayMs * 2, reconnectDelayMsMax)
  })
}

connect()
getJson('api/state')
  .then((state) => {
    if (isLabState(state)) render(state)
  })
  .catch(() => {
    // The stream's error handler shows the banner; nothing more to say here.
  })
void loadScenarioNames()
