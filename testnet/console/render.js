// One lab state onto every panel. Each panel updates only what changed, so rendering once a second costs
// little and disturbs nothing a person is doing.

import { followHeight } from './blocks.js'
import { byId, setText } from './dom.js'
import { renderEvents } from './event-log.js'
import { renderFaults, renderLinks } from './links.js'
import { renderScenario, renderScenarioNames } from './scenarios.js'
import { renderTimeline } from './timeline.js'
import { renderFixtures, renderValidators } from './validators.js'

const chainId = byId('chain-id')

export function render(state) {
  setText(chainId, String(state.chain_id ?? '…'))
  renderFixtures(state.fixtures)
  renderValidators(state.validators)
  renderLinks(state.links)
  renderFaults(state.faults)
  if (Array.isArray(state.scenarios)) renderScenarioNames(state.scenarios)
  renderScenario(state.scenario)
  renderTimeline(state)
  renderEvents(state.events)
  followHeight(state.validators)
}
