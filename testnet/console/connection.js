// The live connection: one EventSource on api/events brings the lab state (`event: state`, once a second and
// after every command). While it is down a banner says the figures are stale; it reconnects by itself, backing
// off when the runner refuses the stream outright.

import { byId } from './dom.js'
import { deliverState, isLabState } from './lab-state.js'

const reconnectDelayMsMin = 500
const reconnectDelayMsMax = 10_000

const connectionState = byId('connection-state')
const disconnectedBanner = byId('disconnected')
let reconnectDelayMs = reconnectDelayMsMin

function setConnected(connected) {
  const kind = connected ? 'live' : 'disconnected'
  if (connectionState.dataset.connection === kind) return
  connectionState.dataset.connection = kind
  connectionState.textContent = kind
  disconnectedBanner.hidden = connected
  document.body.classList.toggle('stale', !connected)
}

export function connect() {
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
    deliverState(state)
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
