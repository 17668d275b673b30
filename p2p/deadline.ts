// A signal that aborts when its parent does or when a deadline passes, whichever comes first.
//
// Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 (checked on 20.20.2) the combined signal
// holds the timeout signal only weakly, and the timeout's timer holds it weakly too, so once the garbage
// collector runs the timeout is gone and the combined signal never aborts (nodejs/node#57736). Here the timer
// holds the controller, and `clear()` removes both the timer and the listener on the long-lived parent.

import { TimeoutError } from './errors.js'

export interface Deadline {
  readonly signal: AbortSignal
  /** Stops the timer and detaches from the parent; call it once the guarded operation is over. */
  clear(): void
}

export function deadline(parent: AbortSignal, timeoutMs: number, what: string): Deadline {
  const controller = new AbortController()
  if (parent.aborted) {
    controller.abort(parent.reason)
    return { signal: controller.signal, clear: () => undefined }
  }
  const onParentAbort = () => controller.abort(parent.reason)
  parent.addEventListener('abort', onParentAbort, { once: true })
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`${what}: ${timeoutMs} ms passed`)),
    timeoutMs,
  )
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      parent.removeEventListener('abort', onParentAbort)
    },
  }
}
