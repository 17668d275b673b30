// What every store database says about itself in its meta keys: the layout of its key space and the chain it
// belongs to. A database in a newer layout, or of another chain, is refused before anything else is read.

import { bytesEqual, toHex } from '../../crypto/hex.js'
import { isValidChainId } from '../codec/index.js'
import type { Hash } from '../types.js'
import { type Database, isEmpty, type PutOperation } from './database.js'
import { StoreError } from './errors.js'
import type { IdentityRepositories } from './repositories.js'

export interface StoreIdentity {
  /** Names the database in messages, e.g. `data directory /home/v0/data`. */
  readonly description: string
  readonly chainId: string
  readonly genesisHash: Hash
  /** The layout version this build reads and writes. */
  readonly schemaVersion: number
}

const hashBytes = 32

/** The caller's chain id and genesis hash are well formed (StoreError 'invalid-argument' otherwise). */
export function assertIdentityArguments(chainId: string, genesisHash: Hash): void {
  if (!isValidChainId(chainId)) {
    throw new StoreError('invalid-argument', `chain id ${JSON.stringify(chainId)} is not valid`)
  }
  if (!(genesisHash instanceof Uint8Array) || genesisHash.length !== hashBytes) {
    throw new StoreError('invalid-argument', `genesisHash: expected ${hashBytes} bytes`)
  }
}

/**
 * 'empty' for a database that holds nothing yet, 'matches' for one of this chain in this layout; throws
 * StoreError otherwise ('schema-unsupported', 'wrong-chain', 'corrupt').
 */
export async function checkIdentity(
  db: Database,
  repos: IdentityRepositories,
  identity: StoreIdentity,
): Promise<'empty' | 'matches'> {
  const { description } = identity
  const version = await repos.schemaVersion.get(null)
  if (version === undefined) {
    if (await isEmpty(db)) return 'empty'
    throw new StoreError('corrupt', `${description} holds data but no schema version`)
  }
  if (version !== identity.schemaVersion) {
    const newer = version > identity.schemaVersion ? 'a newer' : 'an unknown'
    throw new StoreError(
      'schema-unsupported',
      `${description} uses ${newer} store schema (version ${version}); this build reads version ` +
        `${identity.schemaVersion}: upgrade Quorate, or use another --home`,
    )
  }
  const chainId = await repos.chainId.get(null)
  const genesisHash = await repos.genesisHash.get(null)
  if (chainId === undefined || genesisHash === undefined) {
    throw new StoreError('corrupt', `${description} lacks its chain id or genesis hash`)
  }
  if (chainId !== identity.chainId || !bytesEqual(genesisHash, identity.genesisHash)) {
    throw new StoreError(
      'wrong-chain',
      `${description} belongs to chain ${chainId} (genesis ${toHex(genesisHash)}), not ` +
        `${identity.chainId} (genesis ${toHex(identity.genesisHash)}); use another --home or remove it`,
    )
  }
  return 'matches'
}

/**
 * The batch that creates a database: the identity, then `contents`, then the schema version last, in one
 * atomic batch, so a database that has a schema version has everything written with it.
 */
export function creationBatch(
  repos: IdentityRepositories,
  identity: StoreIdentity,
  contents: readonly PutOperation[],
): PutOperation[] {
  return [
    repos.chainId.put(null, identity.chainId),
    repos.genesisHash.put(null, identity.genesisHash),
    ...contents,
    repos.schemaVersion.put(null, identity.schemaVersion),
  ]
}
