// A transaction's path: the hash typed in is looked up on every validator (api/tx), and each one's answer is
// listed: committed at a height, waiting in its mempool, not seen, no answer, or its process state.

import { getJson } from './api.js'
import { byId, formInput, paragraph } from './dom.js'
import { describeError, describeValue, shortHash } from './format.js'
import { isCount, isObject } from './values.js'

const txResult = byId('tx-result')

/** One validator's answer, { index, where, height?, code? }, in words. */
function describeStep(step) {
  if (!isObject(step)) return describeValue(step)
  if (isCount(step.height)) {
    const code = isCount(step.code) && step.code !== 0 ? ` (code ${step.code})` : ''
    return `committed at height ${step.height}${code}`
  }
  if (step.where === 'mempool') return 'waiting in its mempool'
  if (typeof step.where === 'string') return step.where
  return describeValue(step)
}

function renderTxPath(hash, reply) {
  const path = Array.isArray(reply) ? reply : (reply.path ?? reply.validators)
  const heading = paragraph(`Transaction ${shortHash(hash)}:`)
  if (!Array.isArray(path)) {
    const pre = document.createElement('pre')
    pre.textContent = JSON.stringify(reply, null, 2)
    txResult.replaceChildren(heading, pre)
    return
  }
  const list = document.createElement('ul')
  list.className = 'tx-path'
  path.forEach((step, i) => {
    const item = document.createElement('li')
    const index = isCount(step?.validator) ? step.validator : isCount(step?.index) ? step.index : i
    item.textContent = `validator ${index}: ${describeStep(step)}`
    list.append(item)
  })
  txResult.replaceChildren(heading, list)
}

export function wireTxLookup() {
  byId('tx-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const hash = formInput(event.currentTarget, 'hash').value.trim().toLowerCase()
    if (!/^[0-9a-f]+$/.test(hash)) {
      txResult.replaceChildren(paragraph('Enter the transaction hash in hex.', 'error'))
      return
    }
    txResult.replaceChildren(paragraph('Looking it up…'))
    getJson(`api/tx?hash=${encodeURIComponent(hash)}`)
      .then((reply) => renderTxPath(hash, reply))
      .catch((error) => {
        txResult.replaceChildren(paragraph(`Lookup failed: ${describeError(error)}`, 'error'))
      })
  })
}
