// Every hash and every signed byte string in the ledger, each behind its own domain tag, so bytes signed or
// hashed for one purpose can never be replayed as another (a vote as a timeout, one chain's tx on another).

import { domainTag, taggedHash } from '../crypto/hash.js'
import { toHex } from '../crypto/hex.js'
import { merkleRoot } from '../crypto/merkle.js'
import {
  EncodeError,
  encodeBlockHeader,
  encodeTx,
  encodeUnsignedTx,
  isValidChainId,
  Writer,
} from './codec/index.js'
import type { BlockHeader, Hash, Tx } from './types.js'

const hashBytes = 32

export function txHash(tx: Tx): Hash {
  return taggedHash('quorate/v1/tx', encodeTx(tx))
}

export function blockHash(header: BlockHeader): Hash {
  return taggedHash('quorate/v1/block', encodeBlockHeader(header))
}

export function txRoot(txs: readonly Tx[]): Hash {
  return merkleRoot(txs.map(txHash))
}

/** Lowercase hex of a hash, for Map keys and logs (Uint8Array keys compare by identity). */
export function hashKey(hash: Hash): string {
  return toHex(hash)
}

type SigningKind = 'tx' | 'vote' | 'timeout' | 'proposal'

// The chain id sits inside the tag, so a signature for one chain never verifies on another. It is checked
// here because an unchecked id could smuggle a '/' and collide with another kind's tag.
function signingWriter(chainId: string, kind: SigningKind): Writer {
  if (!isValidChainId(chainId)) throw new EncodeError(`chainId: ${JSON.stringify(chainId)} is not valid`)
  const tag = domainTag(`quorate/v1/${chainId}/${kind}`)
  return new Writer(tag.length + 128).bytes(tag)
}

/** What a client signs: the tag for the tx's own chain, then the unsigned encoding. */
export function txSigningBytes(tx: Tx): Uint8Array {
  return signingWriter(tx.chainId, 'tx').bytes(encodeUnsignedTx(tx)).finish()
}

export function voteSigningBytes(chainId: string, view: number, blockHash: Hash): Uint8Array {
  return signingWriter(chainId, 'vote')
    .u64(view, 'vote.view')
    .bytes(blockHash, hashBytes, 'vote.blockHash')
    .finish()
}

export function timeoutSigningBytes(chainId: string, view: number, highQCView: number): Uint8Array {
  return signingWriter(chainId, 'timeout')
    .u64(view, 'timeout.view')
    .u64(highQCView, 'timeout.highQCView')
    .finish()
}

export function proposalSigningBytes(chainId: string, blockHash: Hash): Uint8Array {
  return signingWriter(chainId, 'proposal').bytes(blockHash, hashBytes, 'proposal.blockHash').finish()
}
