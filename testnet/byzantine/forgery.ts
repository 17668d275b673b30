// Forged certificates: each looks like a QC or TC for the intended (view, block) or view, and each has exactly
// one defect of a kind named below. A fixture holds only its own key, so the "signatures" it can offer are its
// own (over anything), those of real certificates it has seen, and random bytes.
//
// The wire codec makes a repeated signer index unrepresentable (signers are strictly increasing when encoded
// and when decoded; block hashes are computed over that encoding), so 'duplicate-signer' is the form that can
// travel: one validator's signature (ours) counted again under another validator's index.

import { timeoutSigningBytes, voteSigningBytes } from '../../ledger/hashing.js'
import { validatorCountMax } from '../../ledger/limits.js'
import { quorumSize } from '../../ledger/quorum.js'
import type { QuorumCertificate, Signature, TimeoutCertificate } from '../../ledger/types.js'
import { type Random, randomBytes } from './random.js'
import type { ByzantineContext } from './types.js'

export const forgeryKinds = [
  'duplicate-signer',
  'non-validator-signer',
  'below-quorum',
  'other-view-signatures',
  'random-signatures',
] as const
export type ForgeryKind = (typeof forgeryKinds)[number]

/** One signer's part of a certificate (highQCView is used by TCs only). */
interface Part {
  readonly signer: number
  readonly signature: Signature
  readonly highQCView: number
}

interface Material {
  /** Parts whose signatures verify over the certificate's own bytes: ours, plus a real certificate's. */
  readonly valid: ReadonlyMap<number, Part>
  /** Our signature over the same kind of bytes for another view `view + offset` (offset ≥ 1). */
  readonly ownForOtherView: (offset: number) => Signature
  /** A real certificate for another view, whose parts can be copied as they are. */
  readonly otherView: readonly Part[] | null
}

/** `count` distinct validator indices, ascending: ours first, then those we hold valid signatures of. */
function chooseSigners(context: ByzantineContext, valid: ReadonlyMap<number, Part>, count: number): number[] {
  const preferred = [context.selfIndex, ...[...valid.keys()].sort((a, b) => a - b)]
  for (let index = 0; index < context.validatorCount; index++) preferred.push(index)
  return [...new Set(preferred)].slice(0, count).sort((a, b) => a - b)
}

function forgeParts(
  context: ByzantineContext,
  random: Random,
  kind: ForgeryKind,
  material: Material,
): Part[] {
  const n = context.validatorCount
  const quorum = quorumSize(n)
  const own = material.valid.get(context.selfIndex)
  if (own === undefined) throw new Error('forgery: our own signature is missing from the material')
  const partOf = (signer: number): Part => material.valid.get(signer) ?? { ...own, signer }
  switch (kind) {
    case 'duplicate-signer': {
      const signers = chooseSigners(context, material.valid, quorum)
      const borrowed = signers.find((signer) => signer !== context.selfIndex)
      return signers.map((signer) => (signer === borrowed ? { ...own, signer } : partOf(signer)))
    }
    case 'non-validator-signer': {
      // With n = validatorCountMax no index ≥ n can be encoded: fall back to a borrowed signature.
      if (n >= validatorCountMax) return forgeParts(context, random, 'duplicate-signer', material)
      const signers = chooseSigners(context, material.valid, quorum - 1)
      return [...signers.map(partOf), { ...own, signer: n }]
    }
    case 'below-quorum': {
      // Every signature genuine: only the count is short.
      const signers = chooseSigners(context, material.valid, Math.min(quorum - 1, material.valid.size))
      return signers.map(partOf)
    }
    case 'other-view-signatures': {
      if (material.otherView !== null && material.otherView.length >= quorum) return [...material.otherView]
      // No real certificate of another view at hand: ours, and any we lack, signed over other views.
      const signers = chooseSigners(context, material.valid, quorum)
      return signers.map((signer, i) => {
        const part = partOf(signer)
        if (signer !== context.selfIndex && material.valid.has(signer)) return part
        return { ...part, signature: material.ownForOtherView(1 + i) }
      })
    }
    case 'random-signatures':
      return chooseSigners(context, material.valid, quorum).map((signer) => ({
        signer,
        signature: randomBytes(random, 64),
        highQCView: own.highQCView,
      }))
  }
}

/**
 * A forged QC claiming the same (view, blockHash) as `target`, built from target's genuine signatures and ours.
 * `otherView` is a real QC seen earlier; its signatures are copied for 'other-view-signatures' if its view differs.
 */
export function forgeQC(
  context: ByzantineContext,
  kind: ForgeryKind,
  target: QuorumCertificate,
  otherView: QuorumCertificate | null,
): QuorumCertificate {
  const signed = (view: number) => context.sign(voteSigningBytes(context.chainId, view, target.blockHash))
  const valid = new Map<number, Part>()
  target.signers.forEach((signer, i) => {
    valid.set(signer, { signer, signature: target.signatures[i] as Signature, highQCView: 0 })
  })
  valid.set(context.selfIndex, { signer: context.selfIndex, signature: signed(target.view), highQCView: 0 })
  const copied =
    otherView !== null && otherView.view !== target.view
      ? otherView.signers.map((signer, i) => ({
          signer,
          signature: otherView.signatures[i] as Signature,
          highQCView: 0,
        }))
      : null
  const parts = forgeParts(context, context.random, kind, {
    valid,
    ownForOtherView: (offset) => signed(target.view + offset),
    otherView: copied,
  })
  return {
    view: target.view,
    blockHash: target.blockHash,
    signers: parts.map((part) => part.signer),
    signatures: parts.map((part) => part.signature),
  }
}

/**
 * A forged TC for `view` whose signers claim `highQCView` (< view). `genuine` is a real TC for this same view
 * whose signatures are reused; `otherView` a real TC seen earlier, copied if its view differs.
 */
export function forgeTC(
  context: ByzantineContext,
  kind: ForgeryKind,
  view: number,
  highQCView: number,
  genuine: TimeoutCertificate | null,
  otherView: TimeoutCertificate | null,
): TimeoutCertificate {
  if (!(highQCView < view))
    throw new RangeError(`forgeTC: highQCView ${highQCView} must be below view ${view}`)
  const signed = (tcView: number) => context.sign(timeoutSigningBytes(context.chainId, tcView, highQCView))
  const partsOf = (tc: TimeoutCertificate): Part[] =>
    tc.signers.map((signer, i) => ({
      signer,
      signature: tc.signatures[i] as Signature,
      highQCView: tc.highQCViews[i] as number,
    }))
  const valid = new Map<number, Part>()
  if (genuine !== null && genuine.view === view)
    for (const part of partsOf(genuine)) valid.set(part.signer, part)
  valid.set(context.selfIndex, { signer: context.selfIndex, signature: signed(view), highQCView })
  const parts = forgeParts(context, context.random, kind, {
    valid,
    ownForOtherView: (offset) => signed(view + offset),
    otherView: otherView !== null && otherView.view !== view ? partsOf(otherView) : null,
  })
  return {
    view,
    signers: parts.map((part) => part.signer),
    highQCViews: parts.map((part) => part.highQCView),
    signatures: parts.map((part) => part.signature),
  }
}
