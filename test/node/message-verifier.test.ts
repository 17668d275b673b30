// MessageVerifier on messages built by ConsensusFixture (4 validators, quorum 3): honest proposals, votes
// and timeouts pass; each way a signature, certificate or leader can be wrong is rejected with its reason.

import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { sign } from '../../crypto/index.js'
import {
  blockHash,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import type {
  Block,
  ConsensusMessage,
  Proposal,
  QuorumCertificate,
  Signature,
  Timeout,
  TimeoutCertificate,
  Tx,
  Vote,
} from '../../ledger/types.js'
import { MessageVerifier, type VerifyResult } from '../../node/consensus/verify.js'
import { propertyParameters } from '../support/arbitraries.js'
import { ConsensusFixture } from '../support/consensus-fixture.js'

const fx = new ConsensusFixture(0)

/**
 * The verifier under test, with shorthands per message kind. Every verdict is also computed by the async path
 * (signatures on the libuv pool) of a fresh verifier (so no cache is shared), and the two must agree.
 */
function verifierWith(verifyTx: (tx: Tx) => boolean = () => true) {
  const make = () =>
    new MessageVerifier({ chainId: fx.chainId, validators: fx.validators, genesisQC: fx.genesisQC, verifyTx })
  const verifier = make()
  const verifyMessage = (message: ConsensusMessage): VerifyResult => {
    const verdict = verifier.verifyMessage(message)
    asyncVerdicts.push(
      make()
        .verifyMessageAsync(message)
        .then((asyncVerdict) => ({ message, verdict, asyncVerdict })),
    )
    return verdict
  }
  return {
    verifyMessage,
    verifyProposal: (proposal: Proposal) => verifyMessage({ kind: 'proposal', proposal }),
    verifyVote: (vote: Vote) => verifyMessage({ kind: 'vote', vote }),
    verifyTimeout: (timeout: Timeout) => verifyMessage({ kind: 'timeout', timeout }),
    verifyQC: (qc: QuorumCertificate) => verifier.verifyQC(qc),
    verifyTC: (tc: TimeoutCertificate) => verifier.verifyTC(tc),
  }
}

const asyncVerdicts: Array<
  Promise<{ message: ConsensusMessage; verdict: VerifyResult; asyncVerdict: VerifyResult }>
> = []

afterAll(async () => {
  const results = await Promise.all(asyncVerdicts)
  expect(results.length).toBeGreaterThan(20)
  for (const { message, verdict, asyncVerdict } of results)
    expect(asyncVerdict, message.kind).toEqual(verdict)
})

function flipped(signature: Signature, index = 0, bit = 0): Signature {
  const copy = signature.slice()
  copy[index]! ^= 1 << bit
  return copy
}

// b1 (view 1) ← b2 (view 2) ← b4 (view 4, after TC(3)); leaders are view mod 4.
const b1 = fx.child(fx.genesis, 1, fx.genesisQC)
const qc1 = fx.qcFor(b1)
const b2 = fx.child(b1, 2, qc1)
const qc2 = fx.qcFor(b2)
const tc3 = fx.tcFor(3, 2)
const b4 = fx.child(b2, 4, qc2)

function vote(view: number, block: Block, voter: number): Vote {
  const hash = blockHash(block.header)
  return {
    view,
    blockHash: hash,
    voter,
    signature: sign(voteSigningBytes(fx.chainId, view, hash), fx.secrets[voter]!),
  }
}

function timeout(view: number, highQC: QuorumCertificate, sender: number): Timeout {
  return {
    view,
    highQC,
    sender,
    signature: sign(timeoutSigningBytes(fx.chainId, view, highQC.view), fx.secrets[sender]!),
  }
}

/** A QC whose signers sign (view, hash) with the secrets of `signedBy` (defaults to the signers). */
function qcSignedBy(
  view: number,
  hash: Uint8Array,
  signers: readonly number[],
  signedBy: readonly number[] = signers,
): QuorumCertificate {
  const message = voteSigningBytes(fx.chainId, view, hash)
  return {
    view,
    blockHash: hash,
    signers,
    signatures: signedBy.map((index) => sign(message, fx.secrets[index] ?? fx.secrets[0]!)),
  }
}

/** A TC where signer i signs (view, highQCViews[i]). */
function tcSignedBy(
  view: number,
  signers: readonly number[],
  highQCViews: readonly number[],
): TimeoutCertificate {
  return {
    view,
    signers,
    highQCViews,
    signatures: signers.map((signer, i) =>
      sign(timeoutSigningBytes(fx.chainId, view, highQCViews[i]!), fx.secrets[signer] ?? fx.secrets[0]!),
    ),
  }
}

/** b2 re-justified by `justify` and re-signed by its (correct) leader, so only the QC can be wrong. */
function b2With(justify: QuorumCertificate): Proposal {
  return fx.proposal({ ...b2, header: { ...b2.header, justify } })
}

describe('MessageVerifier accepts honest messages', () => {
  it('proposals: on the genesis QC, on a QC, and with the TC of the previous view', () => {
    const verifier = verifierWith()
    expect(verifier.verifyProposal(fx.proposal(b1))).toEqual({ ok: true })
    expect(verifier.verifyProposal(fx.proposal(b2))).toEqual({ ok: true })
    expect(verifier.verifyProposal(fx.proposal(b4, tc3))).toEqual({ ok: true })
    expect(verifier.verifyMessage({ kind: 'proposal', proposal: fx.proposal(b4, tc3) })).toEqual({ ok: true })
  })

  it('votes from every validator', () => {
    const verifier = verifierWith()
    for (const voter of [0, 1, 2, 3]) {
      expect(verifier.verifyVote(vote(1, b1, voter))).toEqual({ ok: true })
      expect(verifier.verifyMessage({ kind: 'vote', vote: vote(1, b1, voter) })).toEqual({ ok: true })
    }
  })

  it('timeouts with the genesis QC or a later QC as highQC', () => {
    const verifier = verifierWith()
    expect(verifier.verifyTimeout(timeout(1, fx.genesisQC, 3))).toEqual({ ok: true })
    expect(verifier.verifyTimeout(timeout(3, qc2, 1))).toEqual({ ok: true })
    expect(verifier.verifyMessage({ kind: 'timeout', timeout: timeout(3, qc1, 2) })).toEqual({ ok: true })
  })

  it('QCs signed by any quorum, or by all four', () => {
    const verifier = verifierWith()
    for (const signers of [
      [0, 1, 2],
      [0, 1, 3],
      [1, 2, 3],
      [0, 1, 2, 3],
    ]) {
      expect(verifier.verifyQC(fx.qcFor(b1, signers)), `signers ${signers}`).toBe(true)
    }
  })

  it('TCs whose signers carry different highQC views', () => {
    expect(verifierWith().verifyTC(tcSignedBy(3, [0, 2, 3], [2, 0, 1]))).toBe(true)
  })

  it('a proposal whose txs all pass verifyTx', () => {
    const tx: Tx = {
      chainId: fx.chainId,
      from: fx.validators[0]!,
      nonce: 0,
      body: { kind: 'transfer', to: fx.validators[1]!, amount: 1n },
      signature: new Uint8Array(64),
    }
    const block = { ...b1, txs: [tx] }
    expect(verifierWith(() => true).verifyProposal(fx.proposal(block))).toEqual({ ok: true })
    expect(verifierWith(() => false).verifyProposal(fx.proposal(block))).toEqual({
      ok: false,
      reason: 'invalid-tx',
    })
  })
})

describe('MessageVerifier rejects proposals', () => {
  it('from a validator that can lead the view over no chain, even with its valid signature', () => {
    // View 1: round robin names validator 1; with n = 4 only it and the next f = 1 validator (2) can lead.
    const usurped = { ...b1, header: { ...b1.header, proposer: 3 } }
    // fx.proposal signs with the key of header.proposer, so the signature itself is valid.
    expect(verifierWith().verifyProposal(fx.proposal(usurped))).toEqual({ ok: false, reason: 'wrong-leader' })
    // Validator 2 leads view 1 over a chain where validator 1 is inactive: only the core can tell.
    const successor = { ...b1, header: { ...b1.header, proposer: 2 } }
    expect(verifierWith().verifyProposal(fx.proposal(successor))).toEqual({ ok: true })
  })

  it('that carry neither the QC nor the TC of the view before', () => {
    const late = fx.child(fx.genesis, 3, fx.genesisQC)
    expect(verifierWith().verifyProposal(fx.proposal(late))).toEqual({ ok: false, reason: 'invalid-tc' })
    expect(verifierWith().verifyProposal(fx.proposal(late, fx.tcFor(2, 0)))).toEqual({ ok: true })
  })

  it('with a flipped signature bit, a signature by another validator, or one for another chain', () => {
    const verifier = verifierWith()
    const honest = fx.proposal(b1)
    const hash = blockHash(b1.header)
    for (const signature of [
      flipped(honest.signature),
      flipped(honest.signature, 40, 5),
      sign(proposalSigningBytes(fx.chainId, hash), fx.secrets[2]!),
      sign(proposalSigningBytes('another-chain', hash), fx.secrets[1]!),
    ]) {
      expect(verifier.verifyProposal({ ...honest, signature })).toEqual({
        ok: false,
        reason: 'bad-signature',
      })
    }
  })

  it('whose signature is for another block', () => {
    const other = fx.proposal({ ...b1, header: { ...b1.header, timestampMs: 99 } })
    expect(verifierWith().verifyProposal({ ...fx.proposal(b1), signature: other.signature })).toEqual({
      ok: false,
      reason: 'bad-signature',
    })
  })

  it('whose justify is not a valid QC', () => {
    const verifier = verifierWith()
    const underQuorum = fx.qcFor(b1, [0, 1])
    expect(verifier.verifyProposal(b2With(underQuorum))).toEqual({ ok: false, reason: 'invalid-qc' })
  })

  it('whose TC is not for the view just before the block', () => {
    const verifier = verifierWith()
    const tc2 = fx.tcFor(2, 1)
    expect(verifier.verifyTC(tc2)).toBe(true)
    expect(verifier.verifyProposal(fx.proposal(b4, tc2))).toEqual({ ok: false, reason: 'invalid-tc' })
    expect(verifier.verifyProposal(fx.proposal(b4, fx.tcFor(4, 2)))).toEqual({
      ok: false,
      reason: 'invalid-tc',
    })
  })

  it('whose TC is not valid', () => {
    const verifier = verifierWith()
    expect(verifier.verifyProposal(fx.proposal(b4, fx.tcFor(3, 2, [0, 1])))).toEqual({
      ok: false,
      reason: 'invalid-tc',
    })
  })
})

describe('MessageVerifier.verifyQC', () => {
  const hash1 = blockHash(b1.header)

  it('rejects a QC that lists a signer twice, even with valid signatures', () => {
    const verifier = verifierWith()
    expect(verifier.verifyQC(qcSignedBy(1, hash1, [0, 0, 1]))).toBe(false)
    expect(verifier.verifyQC(qcSignedBy(1, hash1, [0, 1, 1, 2]))).toBe(false)
    // (A block header cannot even carry one: the codec refuses to encode or decode it. A timeout can.)
    expect(verifier.verifyTimeout(timeout(3, qcSignedBy(1, hash1, [0, 1, 1]), 2))).toEqual({
      ok: false,
      reason: 'invalid-qc',
    })
  })

  it('rejects signers out of order (the canonical form is strictly increasing)', () => {
    expect(verifierWith().verifyQC(qcSignedBy(1, hash1, [1, 0, 2]))).toBe(false)
  })

  it('rejects a signer index outside the validator set', () => {
    const verifier = verifierWith()
    expect(verifier.verifyQC(qcSignedBy(1, hash1, [0, 1, 4], [0, 1, 2]))).toBe(false)
    expect(verifier.verifyQC(qcSignedBy(1, hash1, [-1, 0, 1], [3, 0, 1]))).toBe(false)
  })

  it('rejects fewer than a quorum of signers', () => {
    const verifier = verifierWith()
    expect(verifier.verifyQC(fx.qcFor(b1, [0, 1]))).toBe(false)
    expect(verifier.verifyQC(fx.qcFor(b1, [3]))).toBe(false)
    expect(verifier.verifyQC(fx.qcFor(b1, []))).toBe(false)
  })

  it('rejects signatures over another view or another block', () => {
    const verifier = verifierWith()
    expect(verifier.verifyQC({ ...qc1, view: 2 })).toBe(false)
    expect(verifier.verifyQC({ ...qc1, blockHash: blockHash(b2.header) })).toBe(false)
    // Signers who signed view 1 cannot certify view 5 for the same block.
    expect(verifier.verifyQC({ ...qcSignedBy(1, hash1, [0, 1, 2]), view: 5 })).toBe(false)
  })

  it('rejects a signature count that differs from the signer count', () => {
    const verifier = verifierWith()
    expect(verifier.verifyQC({ ...qc1, signatures: qc1.signatures.slice(0, 2) })).toBe(false)
    expect(verifier.verifyQC({ ...qc1, signatures: [...qc1.signatures, qc1.signatures[0]!] })).toBe(false)
  })

  it('rejects a QC with any one signature bit flipped', () => {
    fc.assert(
      fc.property(fc.nat(2), fc.nat(63), fc.nat(7), (position, byte, bit) => {
        const signatures = qc1.signatures.map((signature, i) =>
          i === position ? flipped(signature, byte, bit) : signature,
        )
        expect(verifierWith().verifyQC({ ...qc1, signatures })).toBe(false)
      }),
      propertyParameters(60),
    )
  })

  it('accepts the genesis QC only with the genesis hash and no signers', () => {
    const verifier = verifierWith()
    expect(verifier.verifyQC(fx.genesisQC)).toBe(true)
    expect(verifier.verifyQC({ ...fx.genesisQC, blockHash: hash1 })).toBe(false)
    // Even a full quorum of valid view-0 signatures over the genesis hash is not the genesis QC.
    expect(verifier.verifyQC(qcSignedBy(0, fx.genesisHash, [0, 1, 2]))).toBe(false)
    // And no signature-free QC exists for any other view.
    expect(verifier.verifyQC({ view: 1, blockHash: hash1, signers: [], signatures: [] })).toBe(false)
  })
})

describe('MessageVerifier.verifyTC', () => {
  it('rejects a TC that lists a signer twice', () => {
    expect(verifierWith().verifyTC(tcSignedBy(3, [0, 0, 1], [2, 2, 2]))).toBe(false)
  })

  it('rejects a signer index outside the validator set', () => {
    const verifier = verifierWith()
    expect(verifier.verifyTC(tcSignedBy(3, [0, 1, 4], [2, 2, 2]))).toBe(false)
    expect(verifier.verifyTC(tcSignedBy(3, [-1, 0, 1], [2, 2, 2]))).toBe(false)
  })

  it('rejects fewer than a quorum of signers', () => {
    expect(verifierWith().verifyTC(fx.tcFor(3, 2, [1, 2]))).toBe(false)
  })

  it('rejects signatures over another view or another highQC view', () => {
    const verifier = verifierWith()
    expect(verifier.verifyTC({ ...tc3, view: 5 })).toBe(false)
    expect(verifier.verifyTC({ ...tc3, highQCViews: [2, 1, 2] })).toBe(false)
  })

  it('rejects a highQC view that is not below the TC view, even when signed', () => {
    const verifier = verifierWith()
    expect(verifier.verifyTC(fx.tcFor(3, 3))).toBe(false)
    expect(verifier.verifyTC(tcSignedBy(3, [0, 1, 2], [2, 4, 2]))).toBe(false)
  })

  it('rejects mismatched lengths of signers, highQC views and signatures', () => {
    const verifier = verifierWith()
    expect(verifier.verifyTC({ ...tc3, highQCViews: tc3.highQCViews.slice(0, 2) })).toBe(false)
    expect(verifier.verifyTC({ ...tc3, signatures: tc3.signatures.slice(0, 2) })).toBe(false)
  })

  it('rejects a TC with a flipped signature bit', () => {
    const signatures = tc3.signatures.map((signature, i) => (i === 1 ? flipped(signature, 10, 2) : signature))
    expect(verifierWith().verifyTC({ ...tc3, signatures })).toBe(false)
  })
})

describe('MessageVerifier rejects timeouts and votes', () => {
  it('a timeout whose highQC view is not below its own view', () => {
    const verifier = verifierWith()
    expect(verifier.verifyTimeout(timeout(1, qc1, 2))).toEqual({ ok: false, reason: 'invalid-qc' })
    expect(verifier.verifyTimeout(timeout(1, qc2, 2))).toEqual({ ok: false, reason: 'invalid-qc' })
  })

  it('a timeout with a flipped signature bit, or signed for another highQC view', () => {
    const verifier = verifierWith()
    const honest = timeout(3, qc1, 2)
    expect(verifier.verifyTimeout({ ...honest, signature: flipped(honest.signature) })).toEqual({
      ok: false,
      reason: 'bad-signature',
    })
    // The signature covers highQC.view: swapping in a higher highQC breaks it.
    expect(verifier.verifyTimeout({ ...honest, highQC: qc2 })).toEqual({ ok: false, reason: 'bad-signature' })
  })

  it('a timeout whose highQC is not a valid QC', () => {
    const underQuorum = fx.qcFor(b1, [0, 1])
    expect(verifierWith().verifyTimeout(timeout(3, underQuorum, 2))).toEqual({
      ok: false,
      reason: 'invalid-qc',
    })
  })

  it('a timeout from an index outside the validator set', () => {
    const honest = timeout(3, qc1, 2)
    expect(verifierWith().verifyTimeout({ ...honest, sender: 4 })).toEqual({
      ok: false,
      reason: 'bad-signature',
    })
  })

  it('a vote with a flipped signature bit', () => {
    const honest = vote(1, b1, 2)
    for (const [index, bit] of [
      [0, 0],
      [33, 6],
      [63, 7],
    ] as const) {
      expect(
        verifierWith().verifyVote({ ...honest, signature: flipped(honest.signature, index, bit) }),
      ).toEqual({
        ok: false,
        reason: 'bad-signature',
      })
    }
  })

  it('a vote claimed by another voter, for another view, or from outside the validator set', () => {
    const verifier = verifierWith()
    const honest = vote(1, b1, 2)
    for (const forged of [
      { ...honest, voter: 3 },
      { ...honest, view: 2 },
      { ...honest, voter: 4 },
    ]) {
      expect(verifier.verifyVote(forged)).toEqual({ ok: false, reason: 'bad-signature' })
    }
  })

  it('a forgery sent after the honest message is still rejected (the signature cache is exact)', () => {
    const verifier = verifierWith()
    const honest = vote(1, b1, 2)
    expect(verifier.verifyVote(honest)).toEqual({ ok: true })
    expect(verifier.verifyVote({ ...honest, voter: 1 })).toEqual({ ok: false, reason: 'bad-signature' })
    expect(verifier.verifyVote({ ...honest, blockHash: blockHash(b2.header) })).toEqual({
      ok: false,
      reason: 'bad-signature',
    })
    expect(verifier.verifyVote(honest)).toEqual({ ok: true })
  })
})
