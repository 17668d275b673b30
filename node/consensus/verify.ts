import { bytesEqual, toHex } from '../../crypto/hex.js'
import { verify } from '../../crypto/index.js'
import {
  blockHash,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import { quorumSize } from '../../ledger/quorum.js'
import type {
  ConsensusMessage,
  Proposal,
  PublicKey,
  QuorumCertificate,
  Signature,
  Timeout,
  TimeoutCertificate,
  Tx,
  Vote,
} from '../../ledger/types.js'
import { leaderOf } from './block-tree.js'

/** Why a message was rejected before reaching the core; counted in metrics by reason. */
export type RejectionReason =
  | 'unknown-validator'
  | 'bad-signature'
  | 'invalid-qc'
  | 'invalid-tc'
  | 'wrong-leader'
  | 'invalid-tx'
  | 'malformed'

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: RejectionReason }

const accepted: VerifyResult = { ok: true }
const reject = (reason: RejectionReason): VerifyResult => ({ ok: false, reason })

/** Bound on the caches of verified signatures and certificates. */
const verifiedCacheSizeMax = 16_384

export interface MessageVerifierOptions {
  readonly chainId: string
  readonly validators: readonly PublicKey[]
  /** The genesis QC: the one certificate (view 0) with no signatures. */
  readonly genesisQC: QuorumCertificate
  /** Checks a transaction's signature (and chain id); the node passes its cached, off-loop verifier. */
  readonly verifyTx: (tx: Tx) => boolean
}

/**
 * Checks everything about a consensus message that needs keys: signatures, certificates, leader identity.
 * Verified certificates and vote signatures are cached (bounded), so nothing is verified twice.
 */
export class MessageVerifier {
  readonly #options: MessageVerifierOptions
  readonly #quorum: number
  readonly #verifiedKeys = new Set<string>()

  constructor(options: MessageVerifierOptions) {
    this.#options = options
    this.#quorum = quorumSize(options.validators.length)
  }

  verifyMessage(message: ConsensusMessage): VerifyResult {
    switch (message.kind) {
      case 'proposal':
        return this.verifyProposal(message.proposal)
      case 'vote':
        return this.verifyVote(message.vote)
      case 'timeout':
        return this.verifyTimeout(message.timeout)
      case 'timeout-certificate':
        return this.verifyTC(message.tc) ? accepted : reject('invalid-tc')
    }
  }

  verifyProposal(proposal: Proposal): VerifyResult {
    const { header, txs } = proposal.block
    if (header.proposer !== leaderOf(header.view, this.#options.validators.length))
      return reject('wrong-leader')
    const hash = blockHash(header)
    const signed = proposalSigningBytes(this.#options.chainId, hash)
    if (!this.#verifySignature(header.proposer, signed, proposal.signature)) return reject('bad-signature')
    if (!this.verifyQC(header.justify)) return reject('invalid-qc')
    const tc = proposal.lastViewTC
    if (tc !== null && (tc.view !== header.view - 1 || !this.verifyTC(tc))) return reject('invalid-tc')
    for (const tx of txs) if (!this.#options.verifyTx(tx)) return reject('invalid-tx')
    return accepted
  }

  verifyVote(vote: Vote): VerifyResult {
    const signed = voteSigningBytes(this.#options.chainId, vote.view, vote.blockHash)
    if (!this.#verifySignature(vote.voter, signed, vote.signature)) return reject('bad-signature')
    return accepted
  }

  verifyTimeout(timeout: Timeout): VerifyResult {
    if (timeout.highQC.view >= timeout.view) return reject('invalid-qc')
    const signed = timeoutSigningBytes(this.#options.chainId, timeout.view, timeout.highQC.view)
    if (!this.#verifySignature(timeout.sender, signed, timeout.signature)) return reject('bad-signature')
    if (!this.verifyQC(timeout.highQC)) return reject('invalid-qc')
    return accepted
  }

  /** Valid iff it is the genesis QC, or a quorum of distinct validators signed exactly (view, blockHash). */
  verifyQC(qc: QuorumCertificate): boolean {
    const genesis = this.#options.genesisQC
    if (qc.view === genesis.view)
      return bytesEqual(qc.blockHash, genesis.blockHash) && qc.signers.length === 0
    if (!this.#hasDistinctQuorum(qc.signers, qc.signatures.length)) return false
    const signed = voteSigningBytes(this.#options.chainId, qc.view, qc.blockHash)
    return qc.signers.every((signer, i) => this.#verifySignature(signer, signed, qc.signatures[i]!))
  }

  verifyTC(tc: TimeoutCertificate): boolean {
    if (!this.#hasDistinctQuorum(tc.signers, tc.signatures.length)) return false
    if (tc.highQCViews.length !== tc.signers.length) return false
    return tc.signers.every((signer, i) => {
      const highQCView = tc.highQCViews[i]!
      if (highQCView >= tc.view) return false
      const signed = timeoutSigningBytes(this.#options.chainId, tc.view, highQCView)
      return this.#verifySignature(signer, signed, tc.signatures[i]!)
    })
  }

  #hasDistinctQuorum(signers: readonly number[], signatureCount: number): boolean {
    if (signers.length < this.#quorum || signatureCount !== signers.length) return false
    const n = this.#options.validators.length
    return signers.every((signer, i) => signer >= 0 && signer < n && (i === 0 || signer > signers[i - 1]!))
  }

  #verifySignature(signer: number, message: Uint8Array, signature: Signature): boolean {
    const key = this.#options.validators[signer]
    if (key === undefined) return false
    const cacheKey = `${signer}:${toHex(signature)}:${toHex(message)}`
    if (this.#verifiedKeys.has(cacheKey)) return true
    if (!verify(signature, message, key)) return false
    if (this.#verifiedKeys.size >= verifiedCacheSizeMax) this.#verifiedKeys.clear()
    this.#verifiedKeys.add(cacheKey)
    return true
  }
}
