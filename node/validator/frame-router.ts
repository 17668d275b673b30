import { DecodeError, decodeConsensusMessage } from '../../ledger/codec/index.js'
import type { Genesis } from '../../ledger/genesis.js'
import type { ConsensusMessage, EvidenceRecord, Hash } from '../../ledger/types.js'
import type { PenaltyReason } from '../../p2p/index.js'
import { TokenBucket } from '../../p2p/token-bucket.js'
import { type ConsensusInput, inputFromMessage, type MessageVerifier } from '../consensus/index.js'
import type { Clock } from '../env/clock.js'
import type { PeerNetwork, ProtocolName } from '../env/network.js'
import { decodeEvidenceGossip, type EvidencePool } from '../evidence/index.js'
import type { Logger } from '../logger.js'
import type { AdmissionResult } from '../mempool/admission.js'
import type { NodeMetrics } from '../metrics.js'
import { peerLabeller } from '../peer-labels.js'
import { txGossipLimits } from '../protocols.js'
import { decodeTxBatch, TxBatchDecodeError } from './tx-batch-codec.js'
import { peerFaultAdmissionCodes } from './tx-intake.js'

/** Bound on consensus messages in verification at once; more are dropped (and counted) rather than queued. */
export const verificationsInFlightMax = 1_024

/**
 * How a rejected message scores its sender: only what no honest peer ever sends costs points. Rejections an
 * honest peer can cause (a late or unrequested reply, a timeout, an empty answer from a peer that fell behind,
 * a busy server, a batch that does not link to another peer's, whichever of the two lied) are counted and the
 * sender set aside locally by block sync, but never lower its p2p score: no input from one peer may make an
 * honest validator penalise another.
 */
export function penaltyFor(protocol: ProtocolName, reason: string): PenaltyReason | undefined {
  if (reason === 'malformed' || reason.startsWith('malformed-') || reason.startsWith('admission-'))
    return 'invalid-frame'
  if (reason === 'bad-signature' || reason === 'invalid-tx') return 'bad-signature'
  if (reason === 'invalid-qc' || reason === 'invalid-tc' || reason === 'wrong-leader')
    return 'forged-certificate'
  if (reason === 'flood') return 'flood'
  if (protocol === 'sync' && reason === 'invalid-block') return 'invalid-block'
  if (protocol === 'evidence' && reason === 'unknown-validator') return 'invalid-frame'
  return undefined
}

export interface FrameRouterDeps {
  readonly genesis: Genesis
  readonly verifier: MessageVerifier
  readonly network: PeerNetwork
  readonly clock: Clock
  readonly metrics: NodeMetrics
  readonly logger: Logger
  readonly consensus: (input: ConsensusInput) => void
  /** The leader of a view over a parent block, if the parent is in the block tree (leaderOverBlock). */
  readonly leaderOverBlock: (view: number, parentHash: Hash) => number | undefined
  /** A verified proposal's height (a hint that we may be behind; proves nothing by itself). */
  readonly noticeProposalHeight: (height: number, peer: string) => void
  readonly sync: (peer: string, frame: Uint8Array) => Promise<void>
  readonly admitTx: (frame: Uint8Array) => Promise<AdmissionResult>
  readonly evidence: Pick<EvidencePool, 'submit'>
}

/**
 * Frames from peers, by protocol: decoded, checked and handed on (consensus messages verified off the event
 * loop, then to the driver; gossiped transactions through admission; evidence to the pool; sync frames to the
 * sync service). Whatever a peer sends that no honest peer would is a counted rejection that lowers its score;
 * nothing a peer sends throws out of here.
 */
export class FrameRouter {
  readonly #deps: FrameRouterDeps
  readonly #peerLabel: (nodeKeyHex: string | undefined) => string
  /** Gossiped transactions each peer may still hand to admission (one entry per validator at most). */
  readonly #txBudgets = new Map<string, TokenBucket>()
  #verifying = 0

  constructor(deps: FrameRouterDeps) {
    this.#deps = deps
    this.#peerLabel = peerLabeller(deps.genesis.validators)
  }

  route(protocol: ProtocolName, peer: string, frame: Uint8Array): void {
    if (protocol === 'consensus') this.#onConsensusFrame(peer, frame)
    else if (protocol === 'tx-batch') this.#onTxBatchFrame(peer, frame)
    else if (protocol === 'tx') this.#onTxFrame(peer, frame)
    else if (protocol === 'sync')
      void this.#deps.sync(peer, frame).catch((error) => this.#internalError(error))
    else this.#onEvidenceFrame(peer, frame)
  }

  /**
   * A peer's message (or `count` of them, such as the transactions of one batch) was rejected: counted by
   * protocol, reason and peer; invalid input lowers its score, once.
   */
  reject(protocol: ProtocolName, reason: string, peer: string, count = 1): void {
    this.#deps.metrics.rejectedMessages.inc({ protocol, reason, peer: this.#peerLabel(peer) }, count)
    const penalty = penaltyFor(protocol, reason)
    if (penalty !== undefined) this.#deps.network.penalize(peer, penalty)
  }

  #onConsensusFrame(peer: string, frame: Uint8Array): void {
    let message: ConsensusMessage
    try {
      message = decodeConsensusMessage(frame)
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error
      this.reject('consensus', 'malformed', peer)
      return
    }
    if (message.kind === 'proposal') {
      // Checked before any signature when the parent is known (else the core checks once it is).
      const { view, parentHash, proposer } = message.proposal.block.header
      const leader = this.#deps.leaderOverBlock(view, parentHash)
      if (leader !== undefined && leader !== proposer) {
        this.reject('consensus', 'wrong-leader', peer)
        return
      }
    }
    if (this.#verifying >= verificationsInFlightMax) {
      this.reject('consensus', 'overloaded', peer)
      return
    }
    this.#verifying++
    void this.#deps.verifier
      .verifyMessageAsync(message)
      .then((verdict) => {
        if (!verdict.ok) {
          this.reject('consensus', verdict.reason, peer)
          return
        }
        if (message.kind === 'proposal')
          this.#deps.noticeProposalHeight(message.proposal.block.header.height, peer)
        this.#deps.consensus(inputFromMessage(message, this.#deps.clock.nowMs()))
      })
      .catch((error: unknown) => this.#internalError(error))
      .finally(() => {
        this.#verifying--
      })
  }

  /**
   * Gossiped transactions in one frame: the frame's bounds are checked before anything else is decoded; a
   * malformed batch is rejected whole (named by its TxBatchDecodeError reason). Then each transaction within
   * the peer's budget goes through admission on its own, exactly as a single-transaction frame would.
   */
  #onTxBatchFrame(peer: string, frame: Uint8Array): void {
    let txs: Uint8Array[]
    try {
      txs = decodeTxBatch(frame)
    } catch (error) {
      if (!(error instanceof TxBatchDecodeError)) throw error
      this.reject('tx-batch', `malformed-${error.reason}`, peer)
      return
    }
    const admitted = this.#takeTxBudget(peer, txs.length)
    if (admitted < txs.length) this.reject('tx-batch', 'flood', peer, txs.length - admitted)
    for (let i = 0; i < admitted; i++) void this.#admitGossipedTx('tx-batch', peer, txs[i]!)
  }

  /** A single-transaction frame (validators before tx batching send them): the same budget and admission. */
  #onTxFrame(peer: string, frame: Uint8Array): void {
    if (this.#takeTxBudget(peer, 1) === 0) {
      this.reject('tx', 'flood', peer)
      return
    }
    void this.#admitGossipedTx('tx', peer, frame)
  }

  /** Admitted like a client's transaction; input no honest peer would send is a rejection. */
  async #admitGossipedTx(protocol: ProtocolName, peer: string, bytes: Uint8Array): Promise<void> {
    try {
      const { code } = await this.#deps.admitTx(bytes)
      if (peerFaultAdmissionCodes.has(code)) this.reject(protocol, `admission-${code}`, peer)
    } catch (error) {
      this.#internalError(error)
    }
  }

  /**
   * How many of `wanted` gossiped transactions the peer may hand to admission now (each costs us a signature
   * check): its budget refills at txGossipLimits, whatever frames carry them, so a batch buys no extra rate.
   */
  #takeTxBudget(peer: string, wanted: number): number {
    const nowMs = this.#deps.clock.nowMs()
    let budget = this.#txBudgets.get(peer)
    if (budget === undefined) {
      budget = new TokenBucket(txGossipLimits.burstTxsMax, txGossipLimits.txsPerSecondMax, nowMs)
      this.#txBudgets.set(peer, budget)
    }
    let taken = 0
    while (taken < wanted && budget.tryTake(nowMs)) taken++
    return taken
  }

  /** Evidence gossiped by a peer: verified and stored once by the pool, which then gossips it on itself. */
  #onEvidenceFrame(peer: string, frame: Uint8Array): void {
    let found: EvidenceRecord
    try {
      found = decodeEvidenceGossip(frame)
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error
      this.reject('evidence', 'malformed', peer)
      return
    }
    void this.#deps.evidence
      .submit(found, 'peer')
      .then((result) => {
        if (result !== 'added' && result !== 'duplicate') this.reject('evidence', result, peer)
      })
      .catch((error) => this.#internalError(error))
  }

  #internalError(error: unknown): void {
    this.#deps.logger.error({ err: error }, 'internal error while handling a peer frame')
  }
}
