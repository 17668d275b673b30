// What a fixture learns of the chain from the traffic that passes through it: the current view and the head
// height (to aim its attacks just where the honest validators are), the real certificates and proposals it has
// seen (material to replay or to build on). Our own honest core's messages are trusted as they are; a peer's are
// unverified (another fixture may lie), so they count only within reach of what we know: a view at most one
// future window ahead of ours, and a height no larger than its block's view (every real block has
// height ≤ view, since views grow by at least one per height from genesis at 0).

import { hashKey } from '../../ledger/hashing.js'
import { futureViewWindow } from '../../ledger/limits.js'
import type { ConsensusMessage, Proposal, QuorumCertificate } from '../../ledger/types.js'
import type { ProtocolName } from '../../node/env/network.js'
import { readConsensusFrame } from './frames.js'
import { messageView, toEach } from './messages.js'
import type { ByzantineBehaviour } from './types.js'

/** Default bounds of what is remembered (oldest forgotten first). */
export const observedQCCountMax = 64
export const observedProposalCountMax = 16

export interface ChainObserverBounds {
  readonly qcCountMax?: number
  readonly proposalCountMax?: number
}

export class ChainObserver {
  #view = 0
  #height = 0
  readonly #qcCountMax: number
  readonly #proposalCountMax: number
  /** Distinct non-genesis QCs, oldest first, with their (view, hash) keys. */
  readonly #qcs: QuorumCertificate[] = []
  readonly #qcKeys = new Set<string>()
  readonly #proposals: Proposal[] = []

  constructor(bounds: ChainObserverBounds = {}) {
    this.#qcCountMax = bounds.qcCountMax ?? observedQCCountMax
    this.#proposalCountMax = bounds.proposalCountMax ?? observedProposalCountMax
    for (const bound of [this.#qcCountMax, this.#proposalCountMax]) {
      if (!Number.isSafeInteger(bound) || bound < 1) throw new RangeError(`ChainObserver bound: ${bound}`)
    }
  }

  /** The highest view our core (or, within reach, a peer) has spoken for. */
  get view(): number {
    return this.#view
  }

  /** The highest block height seen in a plausible proposal. */
  get height(): number {
    return this.#height
  }

  /** Real certificates seen, oldest first (at most the bound). */
  qcs(): readonly QuorumCertificate[] {
    return this.#qcs
  }

  /** Proposals seen, oldest first (at most the bound). */
  proposals(): readonly Proposal[] {
    return this.#proposals
  }

  /** A message our own honest core sends: its view and height are the truth as far as we know it. */
  ownMessage(message: ConsensusMessage): void {
    this.#view = Math.max(this.#view, messageView(message))
    this.#collect(message)
    if (message.kind === 'proposal')
      this.#height = Math.max(this.#height, message.proposal.block.header.height)
  }

  /** A consensus message from a peer, unverified: it counts only within reach (see the header comment). */
  peerMessage(message: ConsensusMessage): void {
    const view = messageView(message)
    if (view > this.#view + futureViewWindow) return
    this.#view = Math.max(this.#view, view)
    this.#collect(message)
    if (message.kind === 'proposal') {
      const { header } = message.proposal.block
      if (header.height <= header.view) this.#height = Math.max(this.#height, header.height)
    }
  }

  /** Any frame a peer sent us: consensus frames are read (and returned), the rest ignored. */
  peerFrame(protocol: ProtocolName, frame: Uint8Array): ConsensusMessage | undefined {
    if (protocol !== 'consensus') return undefined
    const message = readConsensusFrame(frame)
    if (message !== undefined) this.peerMessage(message)
    return message
  }

  #collect(message: ConsensusMessage): void {
    if (message.kind === 'proposal') {
      this.#rememberQC(message.proposal.block.header.justify)
      if (this.#proposals.length >= this.#proposalCountMax) this.#proposals.shift()
      this.#proposals.push(message.proposal)
    } else if (message.kind === 'timeout') {
      this.#rememberQC(message.timeout.highQC)
    }
  }

  #rememberQC(qc: QuorumCertificate): void {
    if (qc.signers.length === 0) return // the genesis QC: nothing to replay
    const key = `${qc.view}:${hashKey(qc.blockHash)}`
    if (this.#qcKeys.has(key)) return
    if (this.#qcs.length >= this.#qcCountMax) {
      const oldest = this.#qcs.shift() as QuorumCertificate
      this.#qcKeys.delete(`${oldest.view}:${hashKey(oldest.blockHash)}`)
    }
    this.#qcs.push(qc)
    this.#qcKeys.add(key)
  }
}

/**
 * The hooks of a fixture that is honest in what its core sends and only watches the chain: its own messages
 * leave unchanged, every frame that reaches it passes on to the honest code, and both feed `observer`.
 */
export function watchingHooks(observer: ChainObserver): Pick<ByzantineBehaviour, 'outgoing' | 'incoming'> {
  return {
    outgoing: (message, to) => {
      observer.ownMessage(message)
      return toEach(message, to)
    },
    incoming: (protocol, _from, frame) => {
      observer.peerFrame(protocol, frame)
      return { pass: true }
    },
  }
}
