// A clock the test moves by hand: timers run only inside `advance` or `settle`, in due-time order (ties in the
// order they were set), each with the clock reading its due time.

import type { Clock, Timer } from '../../p2p/clock.js'

interface PendingTimer {
  readonly dueMs: number
  readonly sequence: number
  readonly callback: () => void
  cancelled: boolean
}

/** Lets every promise that is ready settle (in-memory work only: no disk, no network). */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve))
}

export class ManualClock implements Clock {
  private currentMs: number
  private nextSequence = 0
  private pending: PendingTimer[] = []

  constructor(startMs = 1_000_000) {
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
    while (this.fireNextDue(targetMs));
    this.currentMs = targetMs
  }

  /**
   * The same for code that awaits: the promises that are ready settle before each timer fires and after the
   * last, so a timer set by a continuation still fires on the way. Deterministic for in-memory work.
   */
  async settle(delayMs: number): Promise<void> {
    const targetMs = this.currentMs + delayMs
    do await flushMicrotasks()
    while (this.fireNextDue(targetMs))
    this.currentMs = targetMs
    await flushMicrotasks()
  }

  /** Fires the earliest timer due by `targetMs`; false when there is none. */
  private fireNextDue(targetMs: number): boolean {
    this.pending = this.pending.filter((timer) => !timer.cancelled)
    const due = this.pending
      .filter((timer) => timer.dueMs <= targetMs)
      .sort((left, right) => left.dueMs - right.dueMs || left.sequence - right.sequence)[0]
    if (due === undefined) return false
    this.pending = this.pending.filter((timer) => timer !== due)
    this.currentMs = Math.max(this.currentMs, due.dueMs)
    due.callback()
    return true
  }
}
