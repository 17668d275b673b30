// Node keys (raw 32-byte Ed25519 public keys) and their libp2p peer ids.

import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { nodeKeyBytes } from './constants.js'
import { P2PConfigError } from './errors.js'

function assertNodeKeyBytes(bytes: Uint8Array, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== nodeKeyBytes) {
    throw new P2PConfigError(`${what} must be ${nodeKeyBytes} bytes`)
  }
}

export function nodeKeyToHex(nodeKey: Uint8Array): string {
  return Buffer.from(nodeKey.buffer, nodeKey.byteOffset, nodeKey.byteLength).toString('hex')
}

/** The libp2p peer id object of a 32-byte Ed25519 public key. */
export function peerIdObjectFromNodeKey(nodeKey: Uint8Array): PeerId {
  assertNodeKeyBytes(nodeKey, 'a node key')
  const publicKey = publicKeyFromRaw(nodeKey)
  if (publicKey.type !== 'Ed25519') {
    throw new P2PConfigError('a node key must be an Ed25519 public key')
  }
  return peerIdFromPublicKey(publicKey)
}

/** The libp2p peer id string (`12D3KooW…`) of a 32-byte Ed25519 public key. */
export function peerIdFromNodeKey(nodeKey: Uint8Array): string {
  return peerIdObjectFromNodeKey(nodeKey).toString()
}

/** The node key hex of a peer id, when the id embeds an Ed25519 public key (all libp2p Ed25519 ids do). */
export function nodeKeyHexFromPeerId(peerId: PeerId): string | undefined {
  return peerId.type === 'Ed25519' ? nodeKeyToHex(peerId.publicKey.raw) : undefined
}

/** The libp2p private key of a 32-byte Ed25519 seed. */
export async function privateKeyFromNodeSecretKey(nodeSecretKey: Uint8Array): Promise<Ed25519PrivateKey> {
  assertNodeKeyBytes(nodeSecretKey, 'the node secret key (Ed25519 seed)')
  return generateKeyPairFromSeed('Ed25519', nodeSecretKey)
}
