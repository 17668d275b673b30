// The key space: every key is [bucket byte] ‖ key bytes. Bucket numbers are never reused or renumbered; a
// bucket that is retired keeps its number, commented out, so old data can never be misread as new.
//
// One numbering serves both databases of a validator home: the ledger database (`<home>/data`) and the safety
// database (`<home>/safety`, see safety-store.ts). Each holds the meta keys that name its schema and chain, and
// its own buckets: the safety database holds `safety` and the `highestTC` meta key, the ledger database the rest.

export const Bucket = {
  /** Schema version, chain id, genesis hash, head pointer: keys are ASCII names (see metaKey). */
  meta: 1,
  /** Block hash → encoded block. */
  blockByHash: 2,
  /** Height (u64 BE) → block hash. */
  hashByHeight: 3,
  /** Block hash → encoded QC certifying that block. */
  qcByBlockHash: 4,
  /** Tx hash → (height u64, index u32). */
  txLocation: 5,
  /** Tx hash → encoded receipt (of the tx's one committed execution). */
  receipt: 6,
  /** Address → encoded account. */
  account: 7,
  /**
   * Empty key → encoded safety state. Safety database only. Retired in the ledger database: homes written before
   * the safety database existed hold it there, and SafetyStore.open moves it over (the number stays reserved in
   * the ledger database, never reused for other data).
   */
  safety: 8,
  /** Kind u8 ‖ view u64 BE ‖ offender u16 BE → encoded evidence (one entry per misbehaviour). */
  evidence: 9,
  /** Height (u64 BE) → state root after executing that block. */
  stateRootByHeight: 10,
  /** Height (u64 BE) ‖ block hash → encoded block: blocks in the consensus block tree, not yet committed. */
  pendingBlock: 11,
  /** Tx hash → encoded tx: admitted to the mempool and not yet committed; re-admitted on start. */
  mempoolTx: 12,
  /**
   * Sender address → u64 BE: the highest nonce among the sender's committed txs whose execution failed. A failed
   * tx is committed (it has a tx location) but leaves its sender's nonce as it was, so this is what, with the
   * accounts, tells without a read of the tx index that a tx was never committed (see failed-nonces.ts).
   */
  failedNonceMax: 13,
} as const
export type Bucket = (typeof Bucket)[keyof typeof Bucket]

const bucketNames = new Map<number, string>(Object.entries(Bucket).map(([name, id]) => [id, name]))

export function bucketName(bucket: Bucket): string {
  return bucketNames.get(bucket) ?? `bucket${bucket}`
}

export function bucketKey(bucket: Bucket, key: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(1 + key.length)
  bytes[0] = bucket
  bytes.set(key, 1)
  return bytes
}

/** The range of every key in a bucket, for iteration: [bucket] <= key < [bucket + 1]. */
export function bucketRange(bucket: Bucket): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(bucket), lt: Uint8Array.of(bucket + 1) }
}

/** Heights as 8-byte big-endian, so LevelDB's byte order is height order. */
export function heightBytes(height: number): Uint8Array {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(height))
  return bytes
}

export const MetaKey = {
  schemaVersion: 'schema-version',
  chainId: 'chain-id',
  genesisHash: 'genesis-hash',
  head: 'head',
  /**
   * The highest timeout certificate this validator entered a view with (relayed to lagging peers). Safety
   * database only; retired in the ledger database like the `safety` bucket (moved over by SafetyStore.open).
   */
  highestTC: 'highest-tc',
  /**
   * The committed height up to which the failedNonceMax bucket is complete: written with every commit, so a home
   * written by a build without that bucket (or committed to by one) is seen and the bucket rebuilt on open.
   */
  failedNonceMaxHeight: 'failed-nonce-max-height',
} as const
export type MetaKey = (typeof MetaKey)[keyof typeof MetaKey]

const asciiEncoder = new TextEncoder()

export function metaKey(name: MetaKey): Uint8Array {
  return bucketKey(Bucket.meta, asciiEncoder.encode(name))
}
