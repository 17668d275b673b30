// The heights `blockchain` lists, as CometBFT's filterMinMax chooses them: minHeight and maxHeight are inclusive,
// 0 or absent mean the first and the latest committed height, maxHeight above the latest is lowered to it, and
// of what remains the newest `lengthMax` are listed.

import { invalidParams } from './errors.js'

/** Headers per `blockchain` call (CometBFT's limit). */
export const blockchainLengthMax = 20

export interface BlockRange {
  /** Lowest height listed; greater than maxHeight when nothing is committed yet (an empty list). */
  readonly minHeight: number
  readonly maxHeight: number
}

export function blockRange(
  requested: { readonly minHeight?: number | undefined; readonly maxHeight?: number | undefined },
  headHeight: number,
  lengthMax = blockchainLengthMax,
): BlockRange {
  const minGiven =
    requested.minHeight === undefined || requested.minHeight === 0 ? undefined : requested.minHeight
  const maxGiven =
    requested.maxHeight === undefined || requested.maxHeight === 0 ? undefined : requested.maxHeight
  if (minGiven !== undefined && maxGiven !== undefined && minGiven > maxGiven) {
    throw invalidParams(`minHeight ${minGiven} is greater than maxHeight ${maxGiven}`)
  }
  if (minGiven !== undefined && minGiven > headHeight) {
    throw invalidParams(`minHeight ${minGiven} is above the latest committed height ${headHeight}`)
  }
  const maxHeight = Math.min(maxGiven ?? headHeight, headHeight)
  const minHeight = Math.max(minGiven ?? 1, maxHeight - lengthMax + 1, 1)
  return { minHeight, maxHeight }
}
