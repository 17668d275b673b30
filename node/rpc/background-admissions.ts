// broadcast_tx_async's admissions: started, not awaited, by the RPC answer. Bounded, so a client that sends
// faster than admission runs is pushed back instead of piling up promises; a failure is reported (logged and
// counted by the owner), never an unhandled rejection; close() waits for those in flight.

import type { AdmissionResult } from '../mempool/admission.js'

/** Admissions in flight at once; past it, broadcast_tx_async answers code 16 (mempool full) and HTTP 503. */
export const backgroundAdmissionCountMax = 1_024

export interface BackgroundAdmissionsOptions {
  /** The whole admission (the validator's submitTx): checks, mempool, journal, gossip. */
  readonly admit: (bytes: Uint8Array) => Promise<AdmissionResult>
  readonly inFlightMax?: number
  /** Admission threw (a journal write failed, the store closed): the transaction was not admitted. */
  readonly onFailed: (error: unknown) => void
}

export class BackgroundAdmissions {
  readonly #options: BackgroundAdmissionsOptions
  readonly #inFlightMax: number
  readonly #inFlight = new Set<Promise<void>>()
  #closed = false

  constructor(options: BackgroundAdmissionsOptions) {
    this.#options = options
    this.#inFlightMax = options.inFlightMax ?? backgroundAdmissionCountMax
    if (!Number.isSafeInteger(this.#inFlightMax) || this.#inFlightMax < 1)
      throw new RangeError(`inFlightMax must be a positive integer, got ${this.#inFlightMax}`)
  }

  get inFlight(): number {
    return this.#inFlight.size
  }

  /** Starts admitting `bytes`; false (nothing started) when closed or when the bound is reached. */
  start(bytes: Uint8Array): boolean {
    if (this.#closed || this.#inFlight.size >= this.#inFlightMax) return false
    const running = this.#run(bytes)
    this.#inFlight.add(running)
    void running.then(() => this.#inFlight.delete(running))
    return true
  }

  /** Refuses new admissions and waits for those in flight. */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.all(this.#inFlight)
  }

  /** Never rejects. */
  async #run(bytes: Uint8Array): Promise<void> {
    try {
      await this.#options.admit(bytes)
    } catch (error) {
      try {
        this.#options.onFailed(error)
      } catch {
        // The report itself failed (a logger that throws): nothing more can be done with it.
      }
    }
  }
}
