import { bytesEqual } from '../../crypto/hex.js'
import { blockHash } from '../../ledger/hashing.js'
import type { Block, Hash, SafetyState, TimeoutCertificate } from '../../ledger/types.js'
import { filterMap, StepContext, withEntry } from './context.js'
import { requestBlock } from './missing-blocks.js'
import { adoptOrphans, keepOrphan } from './orphans.js'
import { addBlock, onPayload, onProposal, requestPayloadWhenReady, tryPropose } from './proposals.js'
import { onRelayedTC, onTimeout, onTimer, onWork } from './timeouts.js'
import type { ConsensusConfig, ConsensusInput, ConsensusState, StepResult, TreeEntry } from './types.js'
import { enterView } from './view-change.js'
import { onVote } from './votes.js'

/** How many recent state roots the core keeps (a proposal's implied commit height is never far behind). */
const stateRootHistoryLength = 256

export interface InitialStateOptions {
  readonly config: ConsensusConfig
  readonly safety: SafetyState
  /** The last committed block, with the views of its two ancestors and its own implied commit height. */
  readonly root: TreeEntry
  /**
   * State roots of committed heights: at least the root's (= executed height), and every height that
   * `stateRootHeightsAtBoot(root)` names. A block's header carries the state root at its implied commit height,
   * which may lie below the root: after a restart, the QC that committed the root may be newer than the highQC
   * on disk, and the next block then extends an older one.
   */
  readonly stateRoots: ReadonlyMap<number, Hash>
  /**
   * The highest TC the replica entered a view with before it stopped (persist-tc), if any: it starts in the
   * view after it and relays it to peers still timing out in the view it ended.
   */
  readonly highestTC?: TimeoutCertificate | null
}

/**
 * The committed heights whose state roots a booting core needs: from the root's implied commit height (no
 * block in the tree can imply a lower one) up to the root, at most the last stateRootHistoryLength of them.
 */
export function stateRootHeightsAtBoot(root: TreeEntry): number[] {
  const rootHeight = root.block.header.height
  const from = Math.max(root.impliedCommitHeight, rootHeight - stateRootHistoryLength + 1, 0)
  return Array.from({ length: rootHeight - from + 1 }, (_, i) => from + i)
}

export function initialState(options: InitialStateOptions): ConsensusState {
  const rootHeight = options.root.block.header.height
  const missing = stateRootHeightsAtBoot(options.root).filter((height) => !options.stateRoots.has(height))
  if (missing.length > 0) throw new Error(`initialState: no state root for committed heights ${missing}`)
  return {
    config: options.config,
    view: 0,
    safety: options.safety,
    viewsWithoutQC: 0,
    tree: new Map([[options.root.hashHex, options.root]]),
    rootHashHex: options.root.hashHex,
    executedHeight: rootHeight,
    stateRoots: new Map(
      stateRootHeightsAtBoot(options.root).map((height) => [height, options.stateRoots.get(height)!]),
    ),
    committingHeight: rootHeight,
    votes: new Map(),
    timeouts: new Map(),
    lastViewTC: options.highestTC ?? null,
    proposals: new Map(),
    proposedView: options.safety.lastVotedView,
    payloadRequestedView: options.safety.lastVotedView,
    pendingPayload: null,
    pendingProposals: new Map(),
    orphanBlocks: new Map(),
    evidenceKeys: new Map(),
    tcRelayedTo: new Set(),
    timerIdle: false,
    lastVote: null,
  }
}

/**
 * The consensus core: a pure function of its inputs. Synchronous, no I/O, no clock, no randomness; the driver
 * performs the returned actions in order (every persist-safety before the sends that follow it).
 */
export function step(state: ConsensusState, input: ConsensusInput): StepResult {
  const context = new StepContext(state)
  switch (input.kind) {
    case 'start':
      enterView(
        context,
        Math.max(
          state.view,
          state.safety.highQC.view + 1,
          state.safety.lastVotedView,
          (state.lastViewTC?.view ?? 0) + 1,
          1,
        ),
        'start',
      )
      break
    case 'proposal':
      onProposal(context, input.proposal, input.nowMs)
      break
    case 'vote':
      onVote(context, input.vote)
      break
    case 'timeout':
      onTimeout(context, input.timeout)
      break
    case 'timeout-certificate':
      onRelayedTC(context, input.tc)
      break
    case 'timer':
      onTimer(context, input.view, input.pendingTxs)
      break
    case 'work':
      onWork(context)
      break
    case 'payload':
      onPayload(context, input)
      break
    case 'executed':
      onExecuted(context, input.height, input.stateRoot)
      break
    case 'block-fetched':
      onBlockFetched(context, input.block, input.nowMs)
      break
  }
  adoptOrphans(context)
  retryPending(context, state)
  requestPayloadWhenReady(context)
  tryPropose(context)
  return { state: context.state, actions: context.actions }
}

function onExecuted(context: StepContext, height: number, stateRoot: Hash): void {
  if (height !== context.state.executedHeight + 1) {
    throw new Error(`executed height ${height} out of order (expected ${context.state.executedHeight + 1})`)
  }
  const oldest = height - stateRootHistoryLength
  context.update({
    executedHeight: height,
    stateRoots: filterMap(withEntry(context.state.stateRoots, height, stateRoot), (kept) => kept > oldest),
  })
}

/**
 * A block fetched by hash (or restored at boot): certified, so it enters the tree without the state-root check;
 * a proposal for it later is checked before any vote. Its parent is requested only if it is the certified one
 * and above the root's view (committed history is never fetched).
 */
function onBlockFetched(context: StepContext, block: Block, nowMs: number): void {
  const root = context.state.tree.get(context.state.rootHashHex)!
  const { header } = block
  if (header.height <= root.block.header.height) return
  if (!bytesEqual(header.parentHash, header.justify.blockHash)) return
  const hash = blockHash(header)
  const check = addBlock(context, block, hash, { checkStateRoot: false, nowMs })
  if (check === 'missing-parent') {
    keepOrphan(context, block, hash, nowMs)
    requestBlock(context, header.parentHash, header.justify.view)
  }
}

/** Proposals that waited for an ancestor or for execution get another chance once either has arrived. */
function retryPending(context: StepContext, before: ConsensusState): void {
  let treeSize = before.tree.size
  let executedHeight = before.executedHeight
  for (let round = 0; round < 8; round++) {
    const pending = context.state.pendingProposals
    if (pending.size === 0) return
    if (context.state.tree.size === treeSize && context.state.executedHeight === executedHeight) return
    treeSize = context.state.tree.size
    executedHeight = context.state.executedHeight
    context.update({ pendingProposals: new Map() })
    // In view order, so a waiting parent is added before its waiting child.
    const byView = [...pending.values()].sort(
      (a, b) => a.proposal.block.header.view - b.proposal.block.header.view,
    )
    for (const { proposal, receivedAtMs } of byView) onProposal(context, proposal, receivedAtMs, true)
  }
}
