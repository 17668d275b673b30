/**
 * The goal of issue 8 (DESIGN §9, "Harm"): with f Byzantine validators, the honest ones keep at least this share
 * of the committed throughput they have with f crashed (silent) validators…
 */
export const harmThroughputRatioMin = 0.8
/** …and a p99 submit-to-commit latency at most this many times the one with f crashed validators. */
export const harmLatencyRatioMax = 2
