import type { ConsensusParams } from './types.js'

/** base × 2^k for k consecutive views without a QC (k capped), never above the maximum. */
export function viewTimeoutMs(params: ConsensusParams, viewsWithoutQC: number): number {
  const exponent = Math.min(viewsWithoutQC, params.viewTimeoutBackoffExponentMax)
  return Math.min(params.viewTimeoutBaseMs * 2 ** exponent, params.viewTimeoutMaxMs)
}
