// The timeline of the last 300 s, drawn by hand into the page's SVG, one column per second: blocks committed
// per second as bars, view changes as ticks above them, a lane per validator with a band while it did not
// answer, and commands and process events as markers. The summary line above says the same in words.

import { byId, setText, svg, withTitle } from './dom.js'
import { formatCount, formatTime, plural } from './format.js'
import { isCount, listOf } from './values.js'

const timelineWindowMs = 300_000
const gridStepSeconds = 60
const markerLabelLengthMax = 28
const plotLeft = 44
const plotRight = 952
const plotWidth = plotRight - plotLeft
const secondWidth = plotWidth / (timelineWindowMs / 1000)
const labelRowHeight = 13
const labelRows = 3
/** A little over the width of an average character of the timeline's 11px labels. */
const labelCharWidth = 6
const barsTop = labelRows * labelRowHeight + 6
const barsHeight = 100
const axisLabelY = barsTop + barsHeight + 14
const lanesTop = axisLabelY + 8

const timeline = byId('timeline')
const timelinePlot = byId('timeline-plot')
const timelineSummary = byId('timeline-summary')

/** Where the window ends, where a time falls on it, and how tall each validator's lane is. */
function frameOf(nowMs, validatorCount) {
  const startMs = nowMs - timelineWindowMs
  const laneHeight = validatorCount === 0 ? 0 : Math.max(2, Math.min(14, 84 / validatorCount))
  return {
    nowMs,
    startMs,
    validatorCount,
    laneHeight,
    lanesBottom: lanesTop + laneHeight * validatorCount,
    x: (tMs) => plotLeft + ((tMs - startMs) / timelineWindowMs) * plotWidth,
  }
}

function commitsOf(sample) {
  return isCount(sample.commits) ? sample.commits : 0
}

/** @param {'start' | 'middle' | 'end'} anchor */
function axisLabel(x, y, anchor, text) {
  return svg('text', { class: 'axis-label', x, y, 'text-anchor': anchor }, text)
}

function drawAxes(frame, commitsMax) {
  const barsBottom = barsTop + barsHeight
  const parts = [
    svg('line', { class: 'axis', x1: plotLeft, y1: barsBottom, x2: plotRight, y2: barsBottom }),
    axisLabel(plotLeft - 4, barsTop + 8, 'end', `${commitsMax}/s`),
    axisLabel(plotLeft - 4, barsBottom, 'end', '0'),
  ]
  const windowSeconds = timelineWindowMs / 1000
  for (let secondsAgo = windowSeconds; secondsAgo >= 0; secondsAgo -= gridStepSeconds) {
    const at = frame.x(frame.nowMs - secondsAgo * 1000)
    parts.push(svg('line', { class: 'grid', x1: at, y1: barsTop, x2: at, y2: frame.lanesBottom }))
    const anchor = secondsAgo === windowSeconds ? 'start' : secondsAgo === 0 ? 'end' : 'middle'
    const label = secondsAgo === 0 ? 'now' : `−${secondsAgo} s`
    parts.push(axisLabel(at, axisLabelY, anchor, label))
  }
  return parts
}

/** A bar per second with commits, and a tick above it when views timed out in that second. */
function drawCommits(frame, samples, commitsMax) {
  const parts = []
  let blocks = 0
  let viewChanges = 0
  for (const sample of samples) {
    const commits = commitsOf(sample)
    blocks += commits
    if (commits > 0) {
      const barHeight = (commits / commitsMax) * barsHeight
      const bar = svg('rect', {
        class: 'commits',
        x: frame.x(sample.t_ms - 1000),
        y: barsTop + barsHeight - barHeight,
        width: Math.max(1, secondWidth - 0.5),
        height: barHeight,
      })
      const what = `${commits} blocks, ${formatCount(sample.txs)} txs, height ${formatCount(sample.height)}`
      parts.push(withTitle(bar, `${formatTime(sample.t_ms)}: ${what}`))
    }
    if (isCount(sample.view_changes) && sample.view_changes > 0) {
      viewChanges += sample.view_changes
      const at = frame.x(sample.t_ms - 500)
      const tick = svg('path', {
        class: 'view-change',
        d: `M${at - 3} ${barsTop} L${at + 3} ${barsTop} L${at} ${barsTop + 6} Z`,
      })
      parts.push(withTitle(tick, `${formatTime(sample.t_ms)}: ${plural(sample.view_changes, 'view change')}`))
    }
  }
  return { parts, blocks, viewChanges }
}

/** One lane per validator, with a band over each run of seconds in which it did not answer. */
function drawLanes(frame, samples) {
  const { laneHeight, x } = frame
  const parts = []
  /** index → seconds not answering in the window. */
  const downSeconds = new Map()
  for (let index = 0; index < frame.validatorCount; index++) {
    const laneY = lanesTop + index * laneHeight
    if (laneHeight >= 8) parts.push(axisLabel(plotLeft - 4, laneY + laneHeight - 2, 'end', `v${index}`))
    const rowHeight = Math.max(1, laneHeight - 1)
    parts.push(svg('rect', { class: 'lane', x: plotLeft, y: laneY, width: plotWidth, height: rowHeight }))
    let bandStart
    let previous
    const closeBand = () => {
      if (bandStart === undefined) return
      const seconds = Math.round((previous - bandStart) / 1000) + 1
      downSeconds.set(index, (downSeconds.get(index) ?? 0) + seconds)
      const band = svg('rect', {
        class: 'down',
        'data-validator': index,
        x: x(bandStart - 1000),
        y: laneY,
        width: Math.max(1, x(previous) - x(bandStart - 1000)),
        height: rowHeight,
      })
      const from = formatTime(bandStart - 1000)
      parts.push(withTitle(band, `validator ${index} not answering from ${from} to ${formatTime(previous)}`))
      bandStart = undefined
    }
    for (const sample of samples) {
      const down = Array.isArray(sample.down) && sample.down.includes(index)
      if (down && bandStart === undefined) bandStart = sample.t_ms
      else if (!down) closeBand()
      if (down) previous = sample.t_ms
    }
    closeBand()
  }
  return { parts, downSeconds }
}

/**
 * Commands and process events as markers. Labels go newest first into the first of three rows where they
 * overlap no other label; a marker with no room keeps its line and its tooltip (the log has every text).
 */
function drawMarkers(frame, events) {
  const parts = []
  const rowsTaken = Array.from({ length: labelRows }, () => [])
  for (const event of [...events].reverse()) {
    const at = frame.x(event.t_ms)
    const text = String(event.text ?? '')
    const label = text.length > markerLabelLengthMax ? `${text.slice(0, markerLabelLengthMax - 1)}…` : text
    const labelWidth = label.length * labelCharWidth
    const leftward = at + 2 + labelWidth > plotRight
    const span = leftward ? [at - 2 - labelWidth, at - 2] : [at + 2, at + 2 + labelWidth]
    const row = rowsTaken.findIndex((taken) => taken.every(([from, to]) => span[1] < from || span[0] > to))
    const marker = svg('g', { class: 'event' })
    const lineTop = row === -1 ? barsTop - 4 : (row + 1) * labelRowHeight - 9
    marker.append(svg('line', { x1: at, y1: lineTop, x2: at, y2: frame.lanesBottom }))
    if (row !== -1) {
      rowsTaken[row].push(span)
      const labelAt = { x: leftward ? at - 2 : at + 2, y: (row + 1) * labelRowHeight }
      marker.append(svg('text', { ...labelAt, 'text-anchor': leftward ? 'end' : 'start' }, label))
    }
    parts.push(withTitle(marker, `${formatTime(event.t_ms)}: ${text}`))
  }
  return parts
}

function summaryOf(samples, blocks, viewChanges, eventCount, downSeconds) {
  if (samples.length === 0) return 'No samples yet.'
  const latest = samples.at(-1)
  const height = latest !== undefined && isCount(latest.height) ? ` (height ${latest.height})` : ''
  const down = [...downSeconds].map(([index, seconds]) => `validator ${index} for ${seconds} s`)
  return (
    `${blocks} blocks in the last ${samples.length} s${height}, ` +
    `${plural(viewChanges, 'view change')}, ${plural(eventCount, 'event')}; ` +
    `not answering: ${down.length === 0 ? 'none' : down.join(', ')}.`
  )
}

export function renderTimeline(state) {
  const samples = listOf(state.timeline, (sample) => isCount(sample?.t_ms))
  const events = listOf(state.events, (event) => isCount(event?.t_ms))
  const validatorCount = Array.isArray(state.validators) ? state.validators.length : 0
  const nowMs = isCount(state.now_ms) ? state.now_ms : (samples.at(-1)?.t_ms ?? Date.now())
  const frame = frameOf(nowMs, validatorCount)
  timeline.setAttribute('viewBox', `0 0 960 ${Math.ceil(frame.lanesBottom + 6)}`)

  const inWindow = (tMs) => tMs >= frame.startMs && tMs <= nowMs
  const samplesShown = samples.filter((sample) => inWindow(sample.t_ms))
  const eventsShown = events.filter((event) => inWindow(event.t_ms))
  const commitsMax = Math.max(1, ...samplesShown.map(commitsOf))
  const commits = drawCommits(frame, samplesShown, commitsMax)
  const lanes = drawLanes(frame, samplesShown)
  timelinePlot.replaceChildren(
    ...drawAxes(frame, commitsMax),
    ...commits.parts,
    ...lanes.parts,
    ...drawMarkers(frame, eventsShown),
  )
  setText(
    timelineSummary,
    summaryOf(samplesShown, commits.blocks, commits.viewChanges, eventsShown.length, lanes.downSeconds),
  )
}
