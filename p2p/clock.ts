// Time as the p2p layer's peer policy sees it: wall-clock milliseconds and one-shot timers. Structurally the
// same as the validator's Clock (node/env/clock.ts), which p2p/ may not import: the node passes its own clock
// and the simulator its simulated one; the libp2p host passes `systemClock()`.

export interface Clock {
  /** Wall-clock milliseconds since the epoch (ban ends are reported as epoch times). */
  nowMs(): number
  /** Runs `callback` once, `delayMs` from now (0 or less: as soon as possible, never synchronously). */
  setTimer(delayMs: number, callback: () => void): Timer
}

export interface Timer {
  /** Cancels the timer; a no-op once it fired or was cancelled. */
  cancel(): void
}

/** The process's own clock and Node's timers (looked up at each call, so test fake timers apply). */
export function systemClock(): Clock {
  return {
    nowMs: () => Date.now(),
    setTimer: (delayMs, callback) => {
      const handle = setTimeout(callback, Math.max(0, delayMs))
      return { cancel: () => clearTimeout(handle) }
    },
  }
}
