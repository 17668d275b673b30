export type StoreErrorCode =
  /** The data directory was written by a newer (or unknown) schema than this build reads. */
  | 'schema-unsupported'
  /** The data directory holds another chain (chain id or genesis hash differ). */
  | 'wrong-chain'
  /** Another process holds the data directory's lock. */
  | 'locked'
  /** A stored value failed to decode or does not match its key: never returned as data. */
  | 'corrupt'
  /** commitBlock was given a block that does not extend the head by exactly one height. */
  | 'not-sequential'
  /** A caller passed a value that breaks the store's contract (a bug in the caller). */
  | 'invalid-argument'
  /** The store is closed. */
  | 'closed'
  /** LevelDB reported an I/O failure. */
  | 'io'

export class StoreError extends Error {
  static override name = 'StoreError'
  override name = 'StoreError'
  readonly code: StoreErrorCode

  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
