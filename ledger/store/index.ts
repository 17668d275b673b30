export { Bucket, type MetaKey } from './buckets.js'
export { StoreError, type StoreErrorCode } from './errors.js'
export {
  type AccountRecord,
  type CommitRecord,
  LedgerStore,
  type LedgerStoreOptions,
  schemaVersionCurrent,
} from './ledger-store.js'
export type { Head, TxLocation } from './records.js'
export { evidenceKeyBytes } from './repositories.js'
