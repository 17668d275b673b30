import { nodeSignatureVerifier, type SignatureVerifier } from '../../crypto/index.js'
import { EncodeError, evidenceOffender, evidenceProblem } from '../../ledger/codec/index.js'
import {
  blockHash,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import type { EvidenceRecord, PublicKey, Signature } from '../../ledger/types.js'

/** Why evidence was refused; counted in metrics by reason, and a reason to lower the sending peer's score. */
export type EvidenceRejection =
  /** Not a pair for one view, by one signer, over different content (or not encodable at all). */
  | 'malformed'
  /** The offender is not in the validator set. */
  | 'unknown-validator'
  /** A part's signature does not verify under the offender's consensus key. */
  | 'bad-signature'

export type EvidenceVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: EvidenceRejection }

/** What the evidence pool needs to check evidence: the EvidenceVerifier below, or a test double. */
export interface EvidenceChecker {
  verifyEvidence(evidence: EvidenceRecord): EvidenceVerdict | Promise<EvidenceVerdict>
}

export interface EvidenceVerifierOptions {
  readonly chainId: string
  /** Consensus public keys, in validator-index order. */
  readonly validators: readonly PublicKey[]
  /** Ed25519 under the one rule; defaults to node:crypto off the event loop. */
  readonly signatures?: SignatureVerifier
}

const accepted: EvidenceVerdict = { ok: true }
const reject = (reason: EvidenceRejection): EvidenceVerdict => ({ ok: false, reason })

/**
 * Checks that evidence proves misbehaviour: its shape (one view, one signer, different signed content), that the
 * signer is a validator, and that both signatures verify over exactly
 * what they sign. A double proposal needs no leader check: the leader depends on the chain a proposal extends, and
 * an honest validator signs at most one proposal per view, leader or not. Nothing else about the parts matters: a Byzantine validator's message with a forged QC or
 * invalid transactions is still its signature over a block hash. Signatures are verified off the event loop.
 */
export class EvidenceVerifier implements EvidenceChecker {
  readonly #options: EvidenceVerifierOptions

  constructor(options: EvidenceVerifierOptions) {
    this.#options = options
  }

  async verifyEvidence(evidence: EvidenceRecord): Promise<EvidenceVerdict> {
    if (evidenceProblem(evidence) !== undefined) return reject('malformed')
    const { chainId, validators } = this.#options
    const offender = evidenceOffender(evidence)
    const publicKey = validators[offender]
    if (publicKey === undefined) return reject('unknown-validator')
    let signed: ReadonlyArray<readonly [Uint8Array, Signature]>
    try {
      signed = signedParts(chainId, evidence)
    } catch (error) {
      // Only a value built in this process (never a decoded one) can lack a canonical encoding.
      if (error instanceof EncodeError) return reject('malformed')
      throw error
    }
    const signatures = this.#options.signatures ?? nodeSignatureVerifier
    const valid = await Promise.all(
      signed.map(([message, signature]) => signatures.verifyAsync(signature, message, publicKey)),
    )
    return valid.every(Boolean) ? accepted : reject('bad-signature')
  }
}

/** Each part's signed bytes with its signature. */
function signedParts(
  chainId: string,
  evidence: EvidenceRecord,
): ReadonlyArray<readonly [Uint8Array, Signature]> {
  switch (evidence.kind) {
    case 'double-proposal':
      return [evidence.first, evidence.second].map(
        (part) => [proposalSigningBytes(chainId, blockHash(part.block.header)), part.signature] as const,
      )
    case 'double-vote':
      return [evidence.first, evidence.second].map(
        (part) => [voteSigningBytes(chainId, part.view, part.blockHash), part.signature] as const,
      )
    case 'double-timeout':
      return [evidence.first, evidence.second].map(
        (part) => [timeoutSigningBytes(chainId, part.view, part.highQC.view), part.signature] as const,
      )
  }
}
