// Reconnect delays: exponential backoff with "equal jitter" (half fixed, half random), so peers that lost each
// other at the same moment do not redial in lockstep, and a delay never drops below half its step.

export interface BackoffOptions {
  baseMs: number
  maxMs: number
  /** Uniform in [0, 1); injected so tests can pin it. */
  random: () => number
}

/** Delay before retry number `failedAttempts` (0 for the first retry after a disconnect). */
export function reconnectDelayMs(failedAttempts: number, options: BackoffOptions): number {
  // Cap the exponent so 2 ** exponent stays finite however long a peer stays down.
  const exponent = Math.min(Math.max(failedAttempts, 0), 32)
  const stepMs = Math.min(options.maxMs, options.baseMs * 2 ** exponent)
  const halfStepMs = stepMs / 2
  return Math.round(halfStepMs + options.random() * halfStepMs)
}
