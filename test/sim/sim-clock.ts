import type { Clock } from '../../node/env/clock.js'

/** What a simulated clock needs from the cluster: its time and its event queue. */
export interface SimScheduler {
  readonly nowMs: number
  /** Runs `run` at simulated time `atMs` (never before the current event finishes). */
  at(atMs: number, run: () => void | Promise<void>): void
}

/**
 * The Clock of one life of a simulated validator process: simulated time (shifted by `skewMs`, for clock-skew
 * faults) and timers on the cluster's event queue. Timers of a life that crashed never fire.
 */
export function simClock(scheduler: SimScheduler, alive: () => boolean, skewMs = 0): Clock {
  return {
    nowMs: () => scheduler.nowMs + skewMs,
    setTimer: (delayMs, callback) => {
      let cancelled = false
      scheduler.at(scheduler.nowMs + Math.max(0, delayMs), () => {
        if (!cancelled && alive()) callback()
      })
      return {
        cancel: () => {
          cancelled = true
        },
      }
    },
  }
}
