/** f = ⌊(n−1)/3⌋: the number of faulty validators tolerated. */
export function faultTolerance(validatorCount: number): number {
  return Math.floor((validatorCount - 1) / 3)
}

/** ⌊2n/3⌋ + 1: any two quorums share at least f+1 validators, so one honest (2f+1 when n = 3f+1). */
export function quorumSize(validatorCount: number): number {
  return Math.floor((2 * validatorCount) / 3) + 1
}
