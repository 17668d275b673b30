// Helpers for the core's tests against one Byzantine peer: messages are signed with the fixture's real keys and
// go through the node's MessageVerifier before they reach `step`, exactly as the driver hands them over, so a
// test can never pass on a message a real replica would have rejected.

import { expect } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { sign, taggedHash } from '../../crypto/index.js'
import { blockHash, timeoutSigningBytes } from '../../ledger/hashing.js'
import type {
  Block,
  ConsensusMessage,
  Hash,
  QuorumCertificate,
  Timeout,
  TimeoutCertificate,
} from '../../ledger/types.js'
import {
  type ConsensusAction,
  impliedCommitHeightOfChild,
  inputFromMessage,
  MessageVerifier,
} from '../../node/consensus/index.js'
import { type ConsensusFixture, commitsIn } from '../support/consensus-fixture.js'

/** The clock the fixture's proposals are received at (far above every test block's timestamp). */
export const receivedAtMs = 1_000_000

/** The state root after executing height `height` (the genesis root at 0), as the tests' "application" has it. */
export function stateRootAt(fx: ConsensusFixture, height: number): Hash {
  return height === 0 ? fx.genesisStateRoot : taggedHash('fixture/state', new Uint8Array([height]))
}

export function verifierFor(fx: ConsensusFixture): MessageVerifier {
  return new MessageVerifier({
    chainId: fx.chainId,
    validators: fx.validators,
    genesisQC: fx.genesisQC,
    verifyTx: () => true,
  })
}

/**
 * Verifies `message` as the driver does (the test fails if a real replica would reject it), steps the core with
 * it, and feeds back an `executed` input for every height the step commits. Returns every action emitted.
 */
export function deliver(fx: ConsensusFixture, message: ConsensusMessage): ConsensusAction[] {
  expect(verifierFor(fx).verifyMessage(message)).toEqual({ ok: true })
  return executeCommits(fx, fx.input(inputFromMessage(message, receivedAtMs)))
}

/** Answers every commit in `actions` with its execution result, as the driver does; returns all actions. */
export function executeCommits(fx: ConsensusFixture, actions: ConsensusAction[]): ConsensusAction[] {
  const all = [...actions]
  for (const height of commitsIn(actions)) {
    all.push(
      ...executeCommits(fx, fx.input({ kind: 'executed', height, stateRoot: stateRootAt(fx, height) })),
    )
  }
  return all
}

export function proposalMessage(
  fx: ConsensusFixture,
  block: Block,
  lastViewTC: TimeoutCertificate | null = null,
): ConsensusMessage {
  return { kind: 'proposal', proposal: fx.proposal(block, lastViewTC) }
}

export function timeoutMessage(
  fx: ConsensusFixture,
  sender: number,
  view: number,
  highQC: QuorumCertificate,
): ConsensusMessage {
  const signature = sign(timeoutSigningBytes(fx.chainId, view, highQC.view), fx.secrets[sender]!)
  const timeout: Timeout = { view, highQC, sender, signature }
  return { kind: 'timeout', timeout }
}

/** The QC that certifies `block` (the genesis QC for genesis). */
export function certify(fx: ConsensusFixture, block: Block): QuorumCertificate {
  return block === fx.genesis ? fx.genesisQC : fx.qcFor(block)
}

/**
 * Honest proposals, one per view in `views`, each extending the previous block (starting at `parent`, which
 * must be in the tree) with the state root its ancestry implies. Returns the blocks.
 */
export function proposeChain(fx: ConsensusFixture, parent: Block, views: readonly number[]): Block[] {
  const blocks: Block[] = []
  let tip = parent
  for (const view of views) {
    const tipEntry = fx.state.tree.get(toHex(blockHash(tip.header)))
    if (tipEntry === undefined)
      throw new Error(`proposeChain: block at view ${tip.header.view} not in the tree`)
    const root = stateRootAt(fx, impliedCommitHeightOfChild(tipEntry, fx.commitRule))
    const block = fx.child(tip, view, certify(fx, tip), root)
    deliver(fx, proposalMessage(fx, block))
    blocks.push(block)
    tip = block
  }
  return blocks
}

/** A copy of `block` told apart by its timestamp (another block for the same view and parent). */
export function variant(block: Block, timestampMs: number): Block {
  return { ...block, header: { ...block.header, timestampMs } }
}

export function fetchesIn(actions: readonly ConsensusAction[]): string[] {
  return actions.flatMap((action) => (action.kind === 'fetch-block' ? [toHex(action.hash)] : []))
}

export function tcSendsIn(actions: readonly ConsensusAction[]): { to: number; view: number }[] {
  return actions.flatMap((action) =>
    action.kind === 'send' && action.message.kind === 'timeout-certificate'
      ? [{ to: action.to, view: action.message.tc.view }]
      : [],
  )
}

export function evidenceIn(actions: readonly ConsensusAction[]): string[] {
  return actions.flatMap((action) =>
    action.kind === 'record-evidence' ? [`${action.evidence.kind}@${action.evidence.view}`] : [],
  )
}
