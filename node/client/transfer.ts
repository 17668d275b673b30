// Builds and signs a transfer the way a wallet would, and renders it for broadcast_tx_* (hex of encodeTx).

import { type KeyPair, sign } from '../../crypto/ed25519.js'
import { toHex } from '../../crypto/hex.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { txHash, txSigningBytes } from '../../ledger/hashing.js'
import type { Tx } from '../../ledger/types.js'

export interface TransferRequest {
  readonly chainId: string
  readonly keyPair: KeyPair
  readonly to: Uint8Array
  readonly amount: bigint
  readonly nonce: number
}

export function buildTransfer(request: TransferRequest): Tx {
  const unsigned: Tx = {
    chainId: request.chainId,
    from: request.keyPair.publicKey,
    nonce: request.nonce,
    body: { kind: 'transfer', to: request.to, amount: request.amount },
    signature: new Uint8Array(64),
  }
  // The signing bytes cover only the unsigned part, so the placeholder signature above is not signed.
  return { ...unsigned, signature: sign(txSigningBytes(unsigned), request.keyPair.secretKey) }
}

/** The `tx` parameter of broadcast_tx_sync / broadcast_tx_commit / check_tx. */
export function txToHex(tx: Tx): string {
  return toHex(encodeTx(tx))
}

/** The hash the node reports for `tx`, as lowercase hex. */
export function txHashHex(tx: Tx): string {
  return toHex(txHash(tx))
}
