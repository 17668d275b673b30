// Penalty reasons and weights: which reasons exist and what a penalty may weigh. Kept apart from the host's
// configuration so the peer policy (peer-guard.ts) needs nothing from libp2p.

import { penaltyWeightsDefault } from './constants.js'
import { P2PConfigError } from './errors.js'
import type { PenaltyReason } from './types.js'

export function isPenaltyReason(reason: unknown): reason is PenaltyReason {
  return typeof reason === 'string' && Object.hasOwn(penaltyWeightsDefault, reason)
}

/**
 * The weight a penalty applies: `weight` when given, else the reason's configured weight. A reason or weight
 * outside the rules is the caller's mistake (`P2PConfigError`), never a peer's.
 */
export function penaltyWeight(
  reason: PenaltyReason,
  weight: number | undefined,
  weights: Readonly<Record<PenaltyReason, number>>,
): number {
  if (!isPenaltyReason(reason)) {
    throw new P2PConfigError(`unknown penalty reason ${JSON.stringify(reason)}`)
  }
  const appliedWeight = weight ?? weights[reason]
  if (!(Number.isFinite(appliedWeight) && appliedWeight >= 0)) {
    throw new P2PConfigError(`a penalty weight must be a finite number >= 0, got ${appliedWeight}`)
  }
  return appliedWeight
}
