import { dirname } from 'node:path'
import { bytesEqual, toHex } from '../crypto/hex.js'
import { blockHash } from '../ledger/hashing.js'
import type { LedgerStore } from '../ledger/store/index.js'
import { StoreError } from '../ledger/store/index.js'
import type { QuorumCertificate } from '../ledger/types.js'
import { homePaths } from './config.js'

/** How many of the newest committed blocks are re-verified at every start. */
export const startupVerifyDepth = 256

export class CorruptDataError extends Error {
  static override name = 'CorruptDataError'
  override name = 'CorruptDataError'
}

/**
 * The error a validator stops with when its chain data cannot be trusted, saying what to do about it. The
 * data directory holds nothing that peers cannot give back; the safety directory next to it holds what this
 * validator signed, which only this validator knows.
 */
export function corruptDataError(dataDir: string, what: string, cause?: unknown): CorruptDataError {
  const safetyDir = homePaths(dirname(dataDir)).safety
  return new CorruptDataError(
    `the data directory ${dataDir} is corrupt (${what}). Stop this validator, move ${dataDir} aside (keep it ` +
      `for inspection) and start it again: it re-fetches the chain from its peers by block sync, verifying every ` +
      `block. Keep ${safetyDir} where it is: it holds the safety state (what this validator voted for), and a ` +
      'validator started without it could vote twice in one view.',
    cause === undefined ? undefined : { cause },
  )
}

/**
 * At start, before anything is served: the newest committed blocks must all be readable, hash to their index,
 * link to their parents and carry a valid QC for exactly themselves. LevelDB checksums and the store's decode
 * checks catch flipped bytes; this catches what they cannot (a missing block, a lost or stale index entry).
 */
export async function verifyStoredChain(
  store: LedgerStore,
  verifyQC: (qc: QuorumCertificate) => boolean,
  dataDir: string,
): Promise<void> {
  const head = store.head()
  const fail = (what: string, cause?: unknown): never => {
    throw corruptDataError(dataDir, what, cause)
  }
  let childParentHash: Uint8Array | undefined
  for (let height = head.height; height >= Math.max(1, head.height - startupVerifyDepth + 1); height--) {
    try {
      const block = await store.blockByHeight(height)
      if (block === undefined) fail(`committed block ${height} is missing`)
      const hash = blockHash(block!.header)
      if (height === head.height && !bytesEqual(hash, head.hash)) fail(`the head is not block ${height}`)
      if (childParentHash !== undefined && !bytesEqual(childParentHash, hash)) {
        fail(`block ${height + 1} does not link to block ${height}`)
      }
      const qc = await store.qcForBlock(hash)
      if (qc === undefined || !bytesEqual(qc.blockHash, hash) || !verifyQC(qc)) {
        fail(`block ${height} (${toHex(hash).slice(0, 16)}) has no valid QC`)
      }
      childParentHash = block!.header.parentHash
    } catch (error) {
      if (error instanceof StoreError) fail(error.message, error)
      throw error
    }
  }
}
