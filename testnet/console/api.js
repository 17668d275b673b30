// Talking to the runner: JSON GETs and POSTs on the page's own origin, each with a timeout. A command's outcome
// goes to the message line (the runner's own error message when it refuses) and the state it answers with is
// shown at once, without waiting for the stream.

import { describeError } from './format.js'
import { deliverState } from './lab-state.js'
import { showMessage } from './messages.js'

const controlTimeoutMs = 30_000
const fetchTimeoutMs = 10_000

/** Which post the message line belongs to: a slow answer never overwrites a later command's message. */
let postSequence = 0

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

function isRefusal(reply, response) {
  return !response.ok || reply === null || reply.error !== undefined
}

/** POSTs a command; shows the runner's error message, or renders the state it answered with. */
export async function post(path, body, label) {
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
    show('error', `${label} failed: the lab did not answer (${describeError(error)})`)
    return
  }
  const reply = await readJson(response)
  if (isRefusal(reply, response)) {
    show('error', `${label} failed: ${errorMessageOf(reply, response)}`)
    return
  }
  show('ok', `${label}: done.`)
  deliverState(reply.state)
}

/** A lab command (docs/fault-lab.md), `label` naming it in the message line. */
export function control(body, label) {
  return post('api/control', body, label)
}

/** The reply's JSON; throws the runner's error message when it refuses. */
export async function getJson(path) {
  const response = await fetch(path, { signal: AbortSignal.timeout(fetchTimeoutMs) })
  const reply = await readJson(response)
  if (isRefusal(reply, response)) throw new Error(errorMessageOf(reply, response))
  return reply
}
