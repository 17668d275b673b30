// The fault lab's web console (docs/fault-lab.md): plain ES modules the browser loads as they are, from the
// runner's own origin, with no framework and no build step. This entry wires them: every lab state (from the
// event stream, a command's reply or the first GET) goes to the renderer, and each panel's controls post JSON
// commands to /api/control.

import { getJson } from './api.js'
import { connect } from './connection.js'
import { deliverState, onLabState } from './lab-state.js'
import { wireLinkControls } from './link-controls.js'
import { render } from './render.js'
import { loadScenarioNames, wireScenarioForm } from './scenarios.js'
import { wireTxLookup } from './tx-lookup.js'
import { wireValidatorControls } from './validator-controls.js'

onLabState(render)
wireValidatorControls()
wireLinkControls()
wireScenarioForm()
wireTxLookup()

connect()
getJson('api/state')
  .then(deliverState)
  .catch(() => {
    // The stream's error handler shows the banner; nothing more to say here.
  })
void loadScenarioNames()
