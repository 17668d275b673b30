// The typed repositories of the ledger store, one per bucket (and one per meta key).

import { bytesEqual } from '../../crypto/hex.js'
import {
  decodeAccount,
  decodeBlock,
  decodeEvidence,
  decodeQC,
  decodeReceipt,
  decodeSafetyState,
  decodeTC,
  decodeTx,
  type EvidenceKey,
  encodeAccount,
  encodeBlock,
  encodeEvidence,
  encodeQC,
  encodeReceipt,
  encodeSafetyState,
  encodeTC,
  encodeTx,
  evidenceKeyOf,
  evidenceKindByte,
} from '../codec/index.js'
import { blockHash, txHash } from '../hashing.js'
import type {
  Account,
  Block,
  EvidenceRecord,
  Hash,
  QuorumCertificate,
  Receipt,
  SafetyState,
  TimeoutCertificate,
  Tx,
} from '../types.js'
import { Bucket, heightBytes, MetaKey } from './buckets.js'
import type { Database } from './database.js'
import { StoreError } from './errors.js'
import {
  decodeChainId,
  decodeHash,
  decodeHead,
  decodeSchemaVersion,
  decodeTxLocation,
  decodeU64,
  encodeChainId,
  encodeHash,
  encodeHead,
  encodeSchemaVersion,
  encodeTxLocation,
  encodeU64,
  type Head,
  type TxLocation,
} from './records.js'
import { Repository } from './repository.js'

const asciiEncoder = new TextEncoder()
const identity = (bytes: Uint8Array): Uint8Array => bytes
const emptyKey = new Uint8Array(0)

function mismatch(what: string): string {
  return `${what} does not match the key`
}

function metaRepository<V>(
  db: Database,
  name: MetaKey,
  encode: (value: V) => Uint8Array,
  decode: (bytes: Uint8Array) => V,
): Repository<null, V> {
  const keyBytes = asciiEncoder.encode(name)
  return new Repository(db, { bucket: Bucket.meta, keyBytes: () => keyBytes, encode, decode })
}

/** The meta keys every store database has: its layout version and the chain it belongs to. */
export interface IdentityRepositories {
  readonly schemaVersion: Repository<null, number>
  readonly chainId: Repository<null, string>
  readonly genesisHash: Repository<null, Hash>
}

/** The ledger database (`<home>/data`). */
export interface Repositories extends IdentityRepositories {
  readonly head: Repository<null, Head>
  /** Retired here (see Bucket.safety): read to migrate homes written before the safety database. */
  readonly retiredHighestTC: Repository<null, TimeoutCertificate>
  readonly blockByHash: Repository<Hash, Block>
  readonly hashByHeight: Repository<number, Hash>
  readonly qcByBlockHash: Repository<Hash, QuorumCertificate>
  readonly txLocation: Repository<Hash, TxLocation>
  readonly receipt: Repository<Hash, Receipt>
  readonly account: Repository<Uint8Array, Account>
  /** Retired here (see Bucket.safety): read to migrate homes written before the safety database. */
  readonly retiredSafety: Repository<null, SafetyState>
  readonly stateRootByHeight: Repository<number, Hash>
  readonly pendingBlock: Repository<PendingBlockKey, Block>
  readonly evidence: Repository<EvidenceKey, EvidenceRecord>
  readonly mempoolTx: Repository<Hash, Tx>
  readonly failedNonceMax: Repository<Uint8Array, number>
  readonly failedNonceMaxHeight: Repository<null, number>
}

export interface PendingBlockKey {
  readonly height: number
  readonly hash: Hash
}

export function pendingBlockKeyBytes(key: PendingBlockKey): Uint8Array {
  const bytes = new Uint8Array(8 + key.hash.length)
  bytes.set(heightBytes(key.height))
  bytes.set(key.hash, 8)
  return bytes
}

/** Evidence key: kind u8 ‖ view u64 BE ‖ offender u16 BE, so one misbehaviour has one key, in view order per kind. */
export function evidenceKeyBytes(key: EvidenceKey): Uint8Array {
  const viewOk = Number.isSafeInteger(key.view) && key.view >= 0
  const offenderOk = Number.isInteger(key.offender) && key.offender >= 0 && key.offender <= 0xffff
  if (!viewOk || !offenderOk) {
    throw new StoreError('invalid-argument', `evidence key: view ${key.view}, offender ${key.offender}`)
  }
  const bytes = new Uint8Array(1 + 8 + 2)
  bytes[0] = evidenceKindByte[key.kind]
  bytes.set(heightBytes(key.view), 1)
  new DataView(bytes.buffer).setUint16(9, key.offender)
  return bytes
}

/** The safety database (`<home>/safety`): what this validator signed, kept apart from the chain data. */
export interface SafetyRepositories extends IdentityRepositories {
  readonly safety: Repository<null, SafetyState>
  readonly highestTC: Repository<null, TimeoutCertificate>
}

function identityRepositories(db: Database): IdentityRepositories {
  return {
    schemaVersion: metaRepository(db, MetaKey.schemaVersion, encodeSchemaVersion, decodeSchemaVersion),
    chainId: metaRepository(db, MetaKey.chainId, encodeChainId, decodeChainId),
    genesisHash: metaRepository(db, MetaKey.genesisHash, encodeHash, decodeHash),
  }
}

function safetyRepository(db: Database): Repository<null, SafetyState> {
  return new Repository(db, {
    bucket: Bucket.safety,
    keyBytes: () => emptyKey,
    encode: encodeSafetyState,
    decode: (bytes) => decodeSafetyState(bytes),
  })
}

function highestTCRepository(db: Database): Repository<null, TimeoutCertificate> {
  return metaRepository(db, MetaKey.highestTC, encodeTC, (bytes) => decodeTC(bytes))
}

export function createSafetyRepositories(db: Database): SafetyRepositories {
  return { ...identityRepositories(db), safety: safetyRepository(db), highestTC: highestTCRepository(db) }
}

export function createRepositories(db: Database): Repositories {
  return {
    ...identityRepositories(db),
    head: metaRepository(db, MetaKey.head, encodeHead, decodeHead),
    retiredHighestTC: highestTCRepository(db),
    blockByHash: new Repository(db, {
      bucket: Bucket.blockByHash,
      keyBytes: identity,
      encode: encodeBlock,
      decode: (bytes) => decodeBlock(bytes),
      check: (key, block) => (bytesEqual(blockHash(block.header), key) ? undefined : mismatch('block hash')),
    }),
    hashByHeight: new Repository(db, {
      bucket: Bucket.hashByHeight,
      keyBytes: heightBytes,
      encode: encodeHash,
      decode: decodeHash,
    }),
    qcByBlockHash: new Repository(db, {
      bucket: Bucket.qcByBlockHash,
      keyBytes: identity,
      encode: encodeQC,
      decode: (bytes) => decodeQC(bytes),
      check: (key, qc) => (bytesEqual(qc.blockHash, key) ? undefined : mismatch('certified block hash')),
    }),
    txLocation: new Repository(db, {
      bucket: Bucket.txLocation,
      keyBytes: identity,
      encode: encodeTxLocation,
      decode: decodeTxLocation,
    }),
    receipt: new Repository(db, {
      bucket: Bucket.receipt,
      keyBytes: identity,
      encode: encodeReceipt,
      decode: (bytes) => decodeReceipt(bytes),
      check: (key, receipt) => (bytesEqual(receipt.txHash, key) ? undefined : mismatch('receipt tx hash')),
    }),
    account: new Repository(db, {
      bucket: Bucket.account,
      keyBytes: identity,
      encode: encodeAccount,
      decode: (bytes) => decodeAccount(bytes),
      check: (key) => (key.length === 32 ? undefined : `address of ${key.length} bytes`),
    }),
    retiredSafety: safetyRepository(db),
    stateRootByHeight: new Repository(db, {
      bucket: Bucket.stateRootByHeight,
      keyBytes: heightBytes,
      encode: encodeHash,
      decode: decodeHash,
    }),
    pendingBlock: new Repository(db, {
      bucket: Bucket.pendingBlock,
      keyBytes: pendingBlockKeyBytes,
      encode: encodeBlock,
      decode: (bytes) => decodeBlock(bytes),
      check: (key, block) =>
        bytesEqual(pendingBlockKeyBytes({ height: block.header.height, hash: blockHash(block.header) }), key)
          ? undefined
          : mismatch('block height and hash'),
    }),
    evidence: new Repository(db, {
      bucket: Bucket.evidence,
      keyBytes: evidenceKeyBytes,
      encode: encodeEvidence,
      decode: (bytes) => decodeEvidence(bytes),
      check: (key, evidence) =>
        bytesEqual(evidenceKeyBytes(evidenceKeyOf(evidence)), key)
          ? undefined
          : mismatch('evidence kind, view and offender'),
    }),
    mempoolTx: new Repository(db, {
      bucket: Bucket.mempoolTx,
      keyBytes: identity,
      encode: encodeTx,
      decode: (bytes) => decodeTx(bytes),
      check: (key, tx) => (bytesEqual(txHash(tx), key) ? undefined : mismatch('tx hash')),
    }),
    failedNonceMax: new Repository(db, {
      bucket: Bucket.failedNonceMax,
      keyBytes: identity,
      encode: (nonce) => encodeU64(nonce, 'failedNonceMax'),
      decode: (bytes) => decodeU64(bytes, 'failedNonceMax'),
      check: (key) => (key.length === 32 ? undefined : `address of ${key.length} bytes`),
    }),
    failedNonceMaxHeight: metaRepository(
      db,
      MetaKey.failedNonceMaxHeight,
      (height) => encodeU64(height, 'failedNonceMaxHeight'),
      (bytes) => decodeU64(bytes, 'failedNonceMaxHeight'),
    ),
  }
}
