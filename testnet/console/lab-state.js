// Where the lab's state arrives: from the event stream, from a command's reply and from the first GET. They can
// cross, so a state older than the one shown is dropped; the rest goes to the one renderer.

import { isCount, isObject } from './values.js'

let renderer = () => {}
let lastNowMs = -Infinity

export function isLabState(value) {
  return isObject(value) && Array.isArray(value.validators)
}

/** @param {(state: object) => void} render */
export function onLabState(render) {
  renderer = render
}

export function deliverState(state) {
  if (!isLabState(state)) return
  if (isCount(state.now_ms)) {
    if (state.now_ms < lastNowMs) return
    lastNowMs = state.now_ms
  }
  renderer(state)
}
