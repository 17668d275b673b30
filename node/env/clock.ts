import type { Clock } from '../../p2p/clock.js'

/**
 * Time as a validator sees it: wall-clock milliseconds and one-shot timers (the same shape as the p2p layer's
 * Clock). Every part of the validator takes a Clock instead of calling Date.now() or setTimeout, so the
 * simulator can run the validator as shipped on simulated time (and the testnet can skew one validator's clock).
 */
export type { Clock, Timer } from '../../p2p/clock.js'

/** The process's own clock and Node's timers (a testnet validator's is skewable: node/faults/skewable-clock.ts). */
export { systemClock } from '../../p2p/clock.js'

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
