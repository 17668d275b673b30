import { bytesEqual, toHex } from '../../crypto/hex.js'
import { nodeSignatureVerifier, type SignatureVerifier } from '../../crypto/index.js'
import {
  blockHash,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import { quorumSize } from '../../ledger/quorum.js'
import type {
  ConsensusMessage,
  PublicKey,
  QuorumCertificate,
  Signature,
  TimeoutCertificate,
  Tx,
} from '../../ledger/types.js'
import { mayLead } from './leader-election.js'

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
const reject = (reason: RejectionReason) => ({ ok: false, reason }) as const

/** Bound on the caches of verified signatures and certificates. */
const verifiedCacheSizeMax = 16_384

export interface MessageVerifierOptions {
  readonly chainId: string
  readonly validators: readonly PublicKey[]
  /** The genesis QC: the one certificate (view 0) with no signatures. */
  readonly genesisQC: QuorumCertificate
  /** Checks a transaction's signature (and chain id); the node passes its cached verifier. */
  readonly verifyTx: (tx: Tx) => boolean
  /** The same, off the event loop (used by verifyMessageAsync; defaults to verifyTx). */
  readonly verifyTxAsync?: (tx: Tx) => Promise<boolean>
  /** Ed25519 under the one rule; defaults to node:crypto (the simulator binds a synchronous one). */
  readonly signatures?: SignatureVerifier
}

/**
 * Checks everything about a consensus message that needs keys: signatures, certificates, leader identity.
 * Verified certificates and vote signatures are cached (bounded), so nothing is verified twice.
 */
export class MessageVerifier {
  readonly #options: MessageVerifierOptions
  readonly #quorum: number
  readonly #verifiedKeys = new Set<string>()
  readonly #signatures: SignatureVerifier

  constructor(options: MessageVerifierOptions) {
    this.#options = options
    this.#signatures = options.signatures ?? nodeSignatureVerifier
    this.#quorum = quorumSize(options.validators.length)
  }

  /** Checks every key-dependent property of a message, verifying signatures on this thread. */
  verifyMessage(message: ConsensusMessage): VerifyResult {
    const plan = this.#plan(message)
    if (!plan.ok) return plan
    for (const check of plan.checks) if (!this.#runSync(check)) return reject(check.reason)
    return accepted
  }

  /**
   * The same checks, with signatures verified off the event loop (node:crypto's async verify runs on the libuv
   * pool) and in parallel; used for everything that arrives from peers.
   */
  async verifyMessageAsync(message: ConsensusMessage): Promise<VerifyResult> {
    const plan = this.#plan(message)
    if (!plan.ok) return plan
    const results = await Promise.all(plan.checks.map((check) => this.#runAsync(check)))
    const failed = plan.checks.find((_, i) => !results[i])
    return failed === undefined ? accepted : reject(failed.reason)
  }

  /** Valid iff it is the genesis QC, or a quorum of distinct validators signed exactly (view, blockHash). */
  verifyQC(qc: QuorumCertificate): boolean {
    const checks = this.#planQC(qc, 'invalid-qc')
    return checks?.every((check) => this.#runSync(check)) ?? false
  }

  verifyTC(tc: TimeoutCertificate): boolean {
    const checks = this.#planTC(tc)
    return checks?.every((check) => this.#runSync(check)) ?? false
  }

  /** Structural checks now; the signature (and transaction) checks to run, in the order they are reported. */
  #plan(message: ConsensusMessage): Plan {
    const { chainId } = this.#options
    switch (message.kind) {
      case 'proposal': {
        const { block, lastViewTC, signature } = message.proposal
        const { header } = block
        if (!mayLead(header.view, header.proposer, this.#options.validators.length))
          return reject('wrong-leader')
        // A view is entered with the QC or the TC of the view before, and its proposal carries that one.
        if (header.justify.view !== header.view - 1 && lastViewTC === null) return reject('invalid-tc')
        const signed = proposalSigningBytes(chainId, blockHash(header))
        const checks: Check[] = [signatureCheck(header.proposer, signed, signature, 'bad-signature')]
        const qcChecks = this.#planQC(header.justify, 'invalid-qc')
        if (qcChecks === undefined) return reject('invalid-qc')
        checks.push(...qcChecks)
        if (lastViewTC !== null) {
          const tcChecks = lastViewTC.view === header.view - 1 ? this.#planTC(lastViewTC) : undefined
          if (tcChecks === undefined) return reject('invalid-tc')
          checks.push(...tcChecks)
        }
        for (const tx of block.txs) checks.push({ kind: 'tx', tx, reason: 'invalid-tx' })
        return { ok: true, checks }
      }
      case 'vote': {
        const { vote } = message
        const signed = voteSigningBytes(chainId, vote.view, vote.blockHash)
        return { ok: true, checks: [signatureCheck(vote.voter, signed, vote.signature, 'bad-signature')] }
      }
      case 'timeout': {
        const { timeout } = message
        if (timeout.highQC.view >= timeout.view) return reject('invalid-qc')
        const signed = timeoutSigningBytes(chainId, timeout.view, timeout.highQC.view)
        const qcChecks = this.#planQC(timeout.highQC, 'invalid-qc')
        if (qcChecks === undefined) return reject('invalid-qc')
        return {
          ok: true,
          checks: [signatureCheck(timeout.sender, signed, timeout.signature, 'bad-signature'), ...qcChecks],
        }
      }
      case 'timeout-certificate': {
        const checks = this.#planTC(message.tc)
        return checks === undefined ? reject('invalid-tc') : { ok: true, checks }
      }
    }
  }

  #planQC(qc: QuorumCertificate, reason: RejectionReason): Check[] | undefined {
    const genesis = this.#options.genesisQC
    if (qc.view === genesis.view) {
      return bytesEqual(qc.blockHash, genesis.blockHash) && qc.signers.length === 0 ? [] : undefined
    }
    if (!this.#hasDistinctQuorum(qc.signers, qc.signatures.length)) return undefined
    const signed = voteSigningBytes(this.#options.chainId, qc.view, qc.blockHash)
    return qc.signers.map((signer, i) => signatureCheck(signer, signed, qc.signatures[i]!, reason))
  }

  #planTC(tc: TimeoutCertificate): Check[] | undefined {
    if (!this.#hasDistinctQuorum(tc.signers, tc.signatures.length)) return undefined
    if (tc.highQCViews.length !== tc.signers.length) return undefined
    if (tc.highQCViews.some((highQCView) => highQCView >= tc.view)) return undefined
    return tc.signers.map((signer, i) => {
      const signed = timeoutSigningBytes(this.#options.chainId, tc.view, tc.highQCViews[i]!)
      return signatureCheck(signer, signed, tc.signatures[i]!, 'invalid-tc')
    })
  }

  #hasDistinctQuorum(signers: readonly number[], signatureCount: number): boolean {
    if (signers.length < this.#quorum || signatureCount !== signers.length) return false
    const n = this.#options.validators.length
    return signers.every((signer, i) => signer >= 0 && signer < n && (i === 0 || signer > signers[i - 1]!))
  }

  #runSync(check: Check): boolean {
    if (check.kind === 'tx') return this.#options.verifyTx(check.tx)
    const key = this.#options.validators[check.signer]
    if (key === undefined) return false
    const cacheKey = signatureCacheKey(check)
    if (this.#verifiedKeys.has(cacheKey)) return true
    return this.#remember(cacheKey, this.#signatures.verify(check.signature, check.message, key))
  }

  async #runAsync(check: Check): Promise<boolean> {
    if (check.kind === 'tx') return (this.#options.verifyTxAsync ?? this.#options.verifyTx)(check.tx)
    const key = this.#options.validators[check.signer]
    if (key === undefined) return false
    const cacheKey = signatureCacheKey(check)
    if (this.#verifiedKeys.has(cacheKey)) return true
    return this.#remember(cacheKey, await this.#signatures.verifyAsync(check.signature, check.message, key))
  }

  #remember(cacheKey: string, ok: boolean): boolean {
    if (!ok) return false
    if (this.#verifiedKeys.size >= verifiedCacheSizeMax) this.#verifiedKeys.clear()
    this.#verifiedKeys.add(cacheKey)
    return true
  }
}

type SignatureCheck = {
  readonly kind: 'signature'
  readonly signer: number
  readonly message: Uint8Array
  readonly signature: Signature
  readonly reason: RejectionReason
}
type Check = SignatureCheck | { readonly kind: 'tx'; readonly tx: Tx; readonly reason: RejectionReason }
type Plan =
  | { readonly ok: true; readonly checks: Check[] }
  | { readonly ok: false; readonly reason: RejectionReason }

function signatureCheck(
  signer: number,
  message: Uint8Array,
  signature: Signature,
  reason: RejectionReason,
): Check {
  return { kind: 'signature', signer, message, signature, reason }
}

function signatureCacheKey(check: SignatureCheck): string {
  return `${check.signer}:${toHex(check.signature)}:${toHex(check.message)}`
}
