// The message line under the header (what a control did, or why it was refused) and a hidden live region that
// tells screen readers what changed on its own (a validator going down, a scenario's verdict).

import { byId } from './dom.js'

const controlMessage = byId('control-message')
const announcer = byId('announcer')

/** @param {'pending' | 'ok' | 'error'} kind */
export function showMessage(kind, text) {
  controlMessage.dataset.kind = kind
  controlMessage.textContent = text
}

/** Says something to screen readers without showing it. */
export function announce(text) {
  announcer.textContent = text
}
