// The faults now in force: the table of links that are not plain (cut, slow or lossy) and the one-line summary
// above the validators. The table is rebuilt only when the links change.

import { byId, setText, tableRow } from './dom.js'
import { formatCount } from './format.js'
import { isCount, listOf } from './values.js'

const linkRows = byId('link-rows')
const linksTable = /** @type {HTMLTableElement} */ (linkRows.closest('table'))
const linksEmpty = byId('links-empty')
const faultsSummary = byId('faults-summary')
let renderedLinks = ''

export function renderLinks(links) {
  const list = listOf(links)
  const key = JSON.stringify(list)
  if (key === renderedLinks) return
  renderedLinks = key
  linkRows.replaceChildren(
    ...list.map((link) =>
      tableRow([
        [formatCount(link.from)],
        [formatCount(link.to)],
        [link.cut === true ? 'cut' : 'no'],
        [formatCount(link.delay_ms), 'number'],
        [isCount(link.drop_rate) ? String(link.drop_rate) : '—', 'number'],
      ]),
    ),
  )
  linksTable.hidden = list.length === 0
  linksEmpty.hidden = list.length !== 0
}

export function renderFaults(faults) {
  const texts = listOf(faults, (fault) => typeof fault === 'string')
  setText(faultsSummary, texts.length === 0 ? 'No faults.' : `Faults: ${texts.join('; ')}.`)
  faultsSummary.dataset.faults = String(texts.length)
}
