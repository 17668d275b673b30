// The event log: the runner's last commands and process exits, newest first. New events are prepended and
// nothing already shown is rebuilt, so a reader's place in the list holds.

import { byId } from './dom.js'
import { formatTime } from './format.js'
import { isObject, listOf } from './values.js'

const eventsShownMax = 200

const eventLog = byId('event-log')
const eventsEmpty = byId('events-empty')
let renderedEventKeys = []

function eventKey(event) {
  return `${event.t_ms}\u0000${event.text}`
}

function eventItem(event) {
  const item = document.createElement('li')
  const time = document.createElement('time')
  time.dateTime = new Date(event.t_ms).toISOString()
  time.textContent = formatTime(event.t_ms)
  item.append(time, ` ${String(event.text ?? '')}`)
  return item
}

export function renderEvents(events) {
  const list = listOf(events, isObject)
  const keys = list.map(eventKey)
  const shownCount = renderedEventKeys.length
  // The log the runner holds is ours plus new ones at the end (minus old ones dropped at the front).
  const firstKept = shownCount === 0 ? -1 : keys.indexOf(renderedEventKeys[shownCount - 1])
  const appendOnly = shownCount === 0 || firstKept !== -1
  if (!appendOnly) eventLog.replaceChildren()
  const fresh = appendOnly && shownCount > 0 ? list.slice(firstKept + 1) : list
  for (const event of fresh) eventLog.prepend(eventItem(event))
  while (eventLog.childElementCount > eventsShownMax) eventLog.lastElementChild?.remove()
  renderedEventKeys = keys.slice(-eventsShownMax)
  eventsEmpty.hidden = keys.length !== 0
}
