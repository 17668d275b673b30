/**
 * Time as a validator sees it: wall-clock milliseconds and one-shot timers. Every part of the validator takes
 * a Clock instead of calling Date.now() or setTimeout, so the simulator can run the validator as shipped on
 * simulated time (and the testnet can skew one validator's clock).
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (block timestamps, drift checks, ban ends). */
  nowMs(): number
  /** Runs `callback` once, `delayMs` from now (0 or less: as soon as possible, never synchronously). */
  setTimer(delayMs: number, callback: () => void): Timer
}

export interface Timer {
  /** Cancels the timer; a no-op once it fired or was cancelled. */
  cancel(): void
}

/** The process's own clock and Node's timers, shifted by `skewMs` (testnet clock-skew injection). */
export function systemClock(skewMs = 0): Clock {
  return {
    nowMs: () => Date.now() + skewMs,
    setTimer: (delayMs, callback) => {
      const handle = setTimeout(callback, Math.max(0, delayMs))
      return { cancel: () => clearTimeout(handle) }
    },
  }
}

/** Resolves after `delayMs` on `clock`, or at once when `signal` aborts (never rejects). */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      timer.cancel()
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = clock.setTimer(delayMs, done)
    signal?.addEventListener('abort', done, { once: true })
  })
}
