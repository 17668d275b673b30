// A clock the test moves by hand: timers run only inside `advance`, in due-time order (ties in the order they
// were set), each with the clock reading its due time.

import type { Clock, Timer } from '../../p2p/clock.js'

interface PendingTimer {
  readonly dueMs: number
  readonly sequence: number
  readonly callback: () => void
  cancelled: boolean
}

export class ManualClock implements Clock {
  private currentMs: number
  private nextSequence = 0
  private pending: PendingTimer[] = []

  constructor(startMs: number) {
    this.currentMs = startMs
  }

  nowMs(): number {
    return this.currentMs
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const timer: PendingTimer = {
      dueMs: this.currentMs + Math.max(0, delayMs),
      sequence: this.nextSequence++,
      callback,
      cancelled: false,
    }
    this.pending.push(timer)
    return {
      cancel: () => {
        timer.cancelled = true
      },
    }
  }

  /** Timers set and neither fired nor cancelled. */
  get pendingTimerCount(): number {
    return this.pending.filter((timer) => !timer.cancelled).length
  }

  /** Moves the clock forward by `delayMs`, running every timer that falls due on the way. */
  advance(delayMs: number): void {
    const targetMs = this.currentMs + delayMs
    for (;;) {
      this.pending = this.pending.filter((timer) => !timer.cancelled)
      const due = this.pending
        .filter((timer) => timer.dueMs <= targetMs)
        .sort((left, right) => left.dueMs - right.dueMs || left.sequence - right.sequence)[0]
      if (due === undefined) {
        break
      }
      this.pending = this.pending.filter((timer) => timer !== due)
      this.currentMs = Math.max(this.currentMs, due.dueMs)
      due.callback()
    }
    this.currentMs = targetMs
  }
}
