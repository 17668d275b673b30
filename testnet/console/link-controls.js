// The links panel's forms: partition by groups ("0,1 | 2,3"), cut one way, delay and drop on a link, heal. Each
// checks what it can before sending, and says what to write when the input will not do.

import { control } from './api.js'
import { byId, formInput } from './dom.js'
import { parseIndexList, parseInteger } from './input.js'
import { showMessage } from './messages.js'

function partition(event) {
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
}

function cutOneWay(event) {
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
}

function setLink(event) {
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
}

export function wireLinkControls() {
  byId('partition-form').addEventListener('submit', partition)
  byId('one-way-form').addEventListener('submit', cutOneWay)
  byId('link-form').addEventListener('submit', setLink)
  byId('heal-button').addEventListener('click', () => {
    void control({ command: 'heal' }, 'heal every link')
  })
}
