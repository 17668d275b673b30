// A leader whose proposals carry an invalid block, cycling through the rules a block must meet (DESIGN §3, §5):
// wrong parent hash, wrong height, timestamp not after the parent, timestamp a day ahead, wrong state root, a
// transaction with a bad signature, more than blockTxCountMax transactions. Only the named rule is broken: the
// txRoot is recomputed when the transactions change, and the proposal is re-signed over the new block hash, so
// it passes every signature check and honest replicas must refuse to vote for it on the rule itself.

import { type KeyPair, keyPairFromSecret } from '../../crypto/ed25519.js'
import { bytesEqual } from '../../crypto/hex.js'
import { txRoot } from '../../ledger/hashing.js'
import { blockTxCountMax as codecBlockTxCountMax } from '../../ledger/limits.js'
import type { Block, BlockHeader, PublicKey, Tx } from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { isOwnProposal, proposalMessage, signProposal, toEach } from './messages.js'
import { randomBytes, withOneBitFlipped } from './random.js'
import type { ByzantineContext, ByzantineFactory } from './types.js'

export const invalidBlockKinds = [
  'wrong-parent',
  'wrong-height',
  'timestamp-not-after-parent',
  'timestamp-far-future',
  'wrong-state-root',
  'bad-tx-signature',
  'too-many-txs',
] as const
export type InvalidBlockKind = (typeof invalidBlockKinds)[number]

/** How far ahead 'timestamp-far-future' puts the block: a day, far beyond any allowed clock drift. */
export const farFutureMs = 86_400_000

/**
 * The kinds this chain can carry. A block of blockTxCountMax + 1 txs cannot be encoded when the chain's maximum
 * is already the codec's (ledger/limits.ts; the codec refuses it on both ends), so then 'too-many-txs' is left out.
 */
export function invalidBlockKindsFor(context: ByzantineContext): readonly InvalidBlockKind[] {
  if (context.blockTxCountMax + 1 <= codecBlockTxCountMax) return invalidBlockKinds
  return invalidBlockKinds.filter((kind) => kind !== 'too-many-txs')
}

/** An (unfunded) account key of our own: its transactions are signed by a real key, well or badly. */
interface Account {
  readonly keyPair: KeyPair
  readonly recipient: PublicKey
}

export const invalidBlockFixture: ByzantineFactory = (context) => {
  const kinds = invalidBlockKindsFor(context)
  let proposalCount = 0
  let badTxNonce = 0
  let account: Account | null = null
  let oversizedTxs: readonly Tx[] | null = null

  const accountOnce = (): Account => {
    account ??= {
      keyPair: keyPairFromSecret(randomBytes(context.random, 32)),
      recipient: keyPairFromSecret(randomBytes(context.random, 32)).publicKey,
    }
    return account
  }
  const transfer = (nonce: number): Tx => {
    const { keyPair, recipient } = accountOnce()
    return buildTransfer({ chainId: context.chainId, keyPair, to: recipient, amount: 1n, nonce })
  }
  const withTxs = (block: Block, txs: readonly Tx[]): Block => ({
    header: { ...block.header, txRoot: txRoot(txs) },
    txs,
  })
  const withHeader = (block: Block, changes: Partial<BlockHeader>): Block => ({
    header: { ...block.header, ...changes },
    txs: block.txs,
  })

  const alter = (kind: InvalidBlockKind, block: Block): Block => {
    const { header } = block
    switch (kind) {
      case 'wrong-parent': {
        // A block everyone knows, when it is not the real parent (else a hash nobody knows).
        const isGenesisChild = bytesEqual(header.parentHash, context.genesisHash)
        return withHeader(block, {
          parentHash: isGenesisChild ? randomBytes(context.random, 32) : context.genesisHash,
        })
      }
      case 'wrong-height':
        return withHeader(block, { height: header.height + 1 })
      case 'timestamp-not-after-parent':
        // The parent's timestamp is not in the proposal; no block's timestamp is below 0.
        return withHeader(block, { timestampMs: 0 })
      case 'timestamp-far-future':
        return withHeader(block, { timestampMs: header.timestampMs + farFutureMs })
      case 'wrong-state-root':
        return withHeader(block, { stateRoot: withOneBitFlipped(context.random, header.stateRoot) })
      case 'bad-tx-signature': {
        const good = transfer(badTxNonce++)
        const bad: Tx = { ...good, signature: withOneBitFlipped(context.random, good.signature) }
        // Added, or in place of the last tx when the block is full, so the count stays within the limit.
        const kept = block.txs.length < context.blockTxCountMax ? block.txs : block.txs.slice(0, -1)
        return withTxs(block, [...kept, bad])
      }
      case 'too-many-txs':
        // Well signed, distinct nonces: only the count is wrong. Built once, reused.
        oversizedTxs ??= Array.from({ length: context.blockTxCountMax + 1 }, (_, nonce) => transfer(nonce))
        return withTxs(block, oversizedTxs)
    }
  }

  return {
    name: 'invalid-block',
    outgoing: (message, to) => {
      if (!isOwnProposal(context, message)) return toEach(message, to)
      const kind = kinds[proposalCount++ % kinds.length] as InvalidBlockKind
      const { block, lastViewTC } = message.proposal
      return toEach(proposalMessage(signProposal(context, alter(kind, block), lastViewTC)), to)
    },
  }
}
