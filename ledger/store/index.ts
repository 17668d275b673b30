export { Bucket, type MetaKey } from './buckets.js'
export type { Database, DatabaseLocation } from './database.js'
export { StoreError, type StoreErrorCode } from './errors.js'
export { failedNonceSendersInMemoryMax, noFailedNonce } from './failed-nonces.js'
export { genesisChain } from './genesis-chain.js'
export {
  type AccountRecord,
  type CommitRecord,
  LedgerStore,
  type LedgerStoreOptions,
  type RetiredSafety,
  schemaVersionCurrent,
} from './ledger-store.js'
export type { Head, TxLocation } from './records.js'
export { evidenceKeyBytes } from './repositories.js'
export {
  type OpenedSafetyStore,
  type RetiredSafetySource,
  type SafetyMigration,
  SafetyStore,
  type SafetyStoreOptions,
  safetySchemaVersionCurrent,
} from './safety-store.js'
