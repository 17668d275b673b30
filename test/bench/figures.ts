// Small statistics the leader-crash and soak benchmarks report: the median and nearest-rank quantiles of a few
// trials, and a least-squares line through a time series.

/** The middle value, or the mean of the two middle ones for an even count; null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Nearest-rank quantile (the smallest value with at least q of the values at or below it); null for none. */
export function nearestRank(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

export interface Point {
  readonly x: number
  readonly y: number
}

/** The slope of the least-squares line through `points` (y per unit of x); null below two distinct x. */
export function leastSquaresSlope(points: readonly Point[]): number | null {
  if (points.length < 2) return null
  let meanX = 0
  let meanY = 0
  for (const { x, y } of points) {
    meanX += x
    meanY += y
  }
  meanX /= points.length
  meanY /= points.length
  let covariance = 0
  let varianceX = 0
  for (const { x, y } of points) {
    covariance += (x - meanX) * (y - meanY)
    varianceX += (x - meanX) ** 2
  }
  return varianceX === 0 ? null : covariance / varianceX
}
