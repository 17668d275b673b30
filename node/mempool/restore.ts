import { toHex } from '../../crypto/hex.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import type { Hash, Tx } from '../../ledger/types.js'
import { AdmissionCode, type AdmissionDeps, admitTx } from './admission.js'

/**
 * On start: admits the journaled transactions again against the committed state, per sender in nonce order
 * (so none waits on a gap its predecessor fills). Returns the hashes of those that no longer pass (committed
 * meanwhile, nonce used): the caller drops them from the journal.
 */
export async function readmitJournaled(deps: AdmissionDeps, journaled: readonly Tx[]): Promise<Hash[]> {
  const inOrder = journaled
    .map((tx) => ({ tx, senderHex: toHex(tx.from) }))
    .sort((a, b) =>
      a.senderHex < b.senderHex ? -1 : a.senderHex > b.senderHex ? 1 : a.tx.nonce - b.tx.nonce,
    )
  const dropped: Hash[] = []
  for (const { tx } of inOrder) {
    const result = await admitTx(deps, encodeTx(tx))
    if (result.code !== AdmissionCode.ok) dropped.push(txHash(tx))
  }
  return dropped
}
