// The recent blocks: fetched again from api/blocks whenever the highest height any validator reports changes,
// one request at a time (a change while one is out is fetched once it is back).

import { getJson } from './api.js'
import { byId, setText, tableRow } from './dom.js'
import { describeError, formatCount, formatTime, shortHash } from './format.js'
import { isCount, isObject } from './values.js'

const blocksShownMax = 20

const blockRows = byId('block-rows')
const blocksTable = /** @type {HTMLTableElement} */ (blockRows.closest('table'))
const blocksStatus = byId('blocks-status')
let blocksHeightShown = -1
let blocksHeightWanted = -1
let blocksLoading = false

function highestHeight(validators) {
  let highest = -1
  for (const validator of validators) {
    const height = validator?.status?.height
    if (isCount(height) && height > highest) highest = height
  }
  return highest
}

/** Fetches the blocks again when the validators report a new highest height. */
export function followHeight(validators) {
  const height = highestHeight(validators)
  if (height >= 0) requestBlocks(height)
}

function requestBlocks(height) {
  blocksHeightWanted = height
  if (blocksLoading || blocksHeightWanted === blocksHeightShown) return
  blocksLoading = true
  const loadingHeight = blocksHeightWanted
  getJson(`api/blocks?limit=${blocksShownMax}`)
    .then((reply) => {
      blocksHeightShown = loadingHeight
      renderBlocks(Array.isArray(reply) ? reply : (reply.blocks ?? reply.block_metas ?? []))
    })
    .catch((error) => {
      blocksHeightShown = loadingHeight
      setText(blocksStatus, `Could not load blocks: ${describeError(error)}`)
    })
    .finally(() => {
      blocksLoading = false
      if (blocksHeightWanted !== blocksHeightShown) requestBlocks(blocksHeightWanted)
    })
}

function txCountOf(block) {
  if (isCount(block.num_txs)) return block.num_txs
  return Array.isArray(block.txs) ? block.txs.length : block.tx_count
}

function renderBlocks(blocks) {
  const list = blocks.filter(isObject).slice(0, blocksShownMax)
  blocksTable.hidden = list.length === 0
  setText(blocksStatus, list.length === 0 ? 'No blocks yet.' : `The ${list.length} newest committed blocks.`)
  blockRows.replaceChildren(
    ...list.map((block) => {
      const row = tableRow([
        [formatCount(block.height), 'number'],
        [shortHash(block.hash), 'hash'],
        [formatCount(block.view), 'number'],
        [formatCount(block.proposer), 'number'],
        [formatCount(txCountOf(block)), 'number'],
        [formatTime(block.timestamp_ms)],
      ])
      if (typeof block.hash === 'string') row.children[1].title = block.hash
      return row
    }),
  )
}
