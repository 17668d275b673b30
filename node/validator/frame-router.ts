import { DecodeError, decodeConsensusMessage } from '../../ledger/codec/index.js'
import type { Genesis } from '../../ledger/genesis.js'
import type { ConsensusMessage, EvidenceRecord } from '../../ledger/types.js'
import type { PenaltyReason } from '../../p2p/index.js'
import { type ConsensusInput, inputFromMessage, type MessageVerifier } from '../consensus/index.js'
import type { Clock } from '../env/clock.js'
import type { PeerNetwork, ProtocolName } from '../env/network.js'
import { decodeEvidenceGossip, type EvidencePool } from '../evidence/index.js'
import type { Logger } from '../logger.js'
import type { AdmissionResult } from '../mempool/admission.js'
import type { NodeMetrics } from '../metrics.js'
import { peerLabeller } from '../peer-labels.js'
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
  if (reason === 'malformed' || reason.startsWith('admission-')) return 'invalid-frame'
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
  #verifying = 0

  constructor(deps: FrameRouterDeps) {
    this.#deps = deps
    this.#peerLabel = peerLabeller(deps.genesis.validators)
  }

  route(protocol: ProtocolName, peer: string, frame: Uint8Array): void {
    if (protocol === 'consensus') this.#onConsensusFrame(peer, frame)
    else if (protocol === 'tx') void this.#onTxFrame(peer, frame)
    else if (protocol === 'sync')
      void this.#deps.sync(peer, frame).catch((error) => this.#internalError(error))
    else this.#onEvidenceFrame(peer, frame)
  }

  /** A peer's message was rejected: counted by protocol, reason and peer; invalid input lowers its score. */
  reject(protocol: ProtocolName, reason: string, peer: string): void {
    this.#deps.metrics.rejectedMessages.inc({ protocol, reason, peer: this.#peerLabel(peer) })
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

  /** A gossiped transaction: admitted like a client's; input no honest peer would send is a rejection. */
  async #onTxFrame(peer: string, frame: Uint8Array): Promise<void> {
    try {
      const { code } = await this.#deps.admitTx(frame)
      if (peerFaultAdmissionCodes.has(code)) this.reject('tx', `admission-${code}`, peer)
    } catch (error) {
      this.#internalError(error)
    }
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
