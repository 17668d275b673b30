import { bytesEqual } from '../../crypto/hex.js'
import type { Hash } from '../../ledger/types.js'
import type { StepContext } from './context.js'
import { rootViewOf } from './view-window.js'

/**
 * Asks the driver to fetch a block that is not in the tree, given the view of the certificate (QC or justify)
 * that names it. Committed history is never fetched: a block certified at or below the root's view is either
 * committed (and pruned) or on a fork that can never commit, and a fetched block at or below the root is
 * dropped anyway. Without that rule, a burst of messages carrying old QCs became a burst of fetches to every
 * peer. One request per hash per step (a proposal's justify and its missing parent name the same block).
 */
export function requestBlock(context: StepContext, hash: Hash, certifiedView: number): void {
  if (certifiedView <= rootViewOf(context.state)) return
  const requested = context.actions.some(
    (action) => action.kind === 'fetch-block' && bytesEqual(action.hash, hash),
  )
  if (!requested) context.emit({ kind: 'fetch-block', hash })
}
