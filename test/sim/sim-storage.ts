// INTERIM until the crash-faithful storage (test/support/crashable-storage.ts) lands: one memory-level
// database per store that keeps everything across crashes.
import { MemoryLevel } from 'memory-level'
import type { Database } from '../../ledger/store/database.js'

export class SimStorage {
  #ledger: Database | null = null
  #safety: Database | null = null

  /** The ledger database for a new life (not open; the store opens it). */
  ledgerDatabase(): Database {
    this.#ledger ??= memory()
    return this.#ledger
  }

  safetyDatabase(): Database {
    this.#safety ??= memory()
    return this.#safety
  }

  crash(): void {}
}

function memory(): Database {
  return new MemoryLevel<Uint8Array, Uint8Array>({
    keyEncoding: 'view',
    valueEncoding: 'view',
  }) as unknown as Database
}
