// Transaction spam on the tx gossip protocol. Honest in consensus; on every tick it gossips to every other
// validator:
// - fresh transfers, well signed, from accounts of its own that hold nothing: each costs the receiver a
//   signature check (a new hash, so no cache helps) and is then refused for a reason an honest peer can also
//   cause (no funds, a nonce ahead), so it is not obviously the sender's fault;
// - replays of real transactions it has seen (gossip it received, and the transactions of proposals): pending
//   or already committed, each costs a lookup;
// - every few ticks, one frame no honest peer sends, cycling: a bad signature, another chain's transaction,
//   undecodable bytes, an oversized frame.
//
// An honest validator must bound the work one peer can cause (verifications and lookups per second), keep the
// mempool and its journal for transactions that can commit, penalise what only a faulty peer sends, and keep
// admitting its clients' transactions.

import { type KeyPair, keyPairFromSecret } from '../../crypto/ed25519.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { txBytesMax } from '../../ledger/limits.js'
import type { Tx } from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { type RawFrame, readTxFrame, txFrame } from './frames.js'
import { otherValidators, toEach } from './messages.js'
import { ChainObserver } from './observed-chain.js'
import { pick, randomBytes, randomInt, withOneBitFlipped } from './random.js'
import type { ByzantineFactory } from './types.js'

/** Fresh, well-signed transfers from empty accounts per tick (each to every other validator). */
export const txSpamFreshPerTick = 8
/** Replays of seen transactions per recipient per tick. */
export const txSpamReplaysPerPeerPerTick = 8
/** One frame only a faulty peer sends, per recipient, every this many ticks. */
export const txSpamJunkEveryTicks = 4
export const txSpamJunkKinds = ['bad-signature', 'wrong-chain', 'malformed', 'too-large'] as const
export type TxSpamJunkKind = (typeof txSpamJunkKinds)[number]
/** Real transactions remembered for replay (oldest forgotten first). */
export const txSpamReplayMemoryCountMax = 256
/** Empty accounts it signs for. */
const txSpamAccountCount = 4

export const txSpamFixture: ByzantineFactory = (context) => {
  const observer = new ChainObserver()
  const others = otherValidators(context)
  const seen: Tx[] = []
  let accounts: { keyPair: KeyPair; nonce: number }[] | null = null
  let tickCount = 0
  let junkCount = 0

  const remember = (tx: Tx): void => {
    if (seen.length >= txSpamReplayMemoryCountMax) seen.shift()
    seen.push(tx)
  }

  const freshTransfer = (chainId = context.chainId): Tx => {
    accounts ??= Array.from({ length: txSpamAccountCount }, () => ({
      keyPair: keyPairFromSecret(randomBytes(context.random, 32)),
      nonce: 0,
    }))
    const account = pick(context.random, accounts)
    return buildTransfer({
      chainId,
      keyPair: account.keyPair,
      to: randomBytes(context.random, 32),
      amount: BigInt(1 + randomInt(context.random, 1_000)),
      nonce: account.nonce++,
    })
  }

  const junk = (to: number): RawFrame => {
    const kind = txSpamJunkKinds[junkCount++ % txSpamJunkKinds.length] as TxSpamJunkKind
    switch (kind) {
      case 'bad-signature': {
        const tx = freshTransfer()
        return txFrame(to, { ...tx, signature: withOneBitFlipped(context.random, tx.signature) })
      }
      case 'wrong-chain':
        return txFrame(to, freshTransfer(context.chainId === 'other' ? 'another' : 'other'))
      case 'malformed':
        return { to, protocol: 'tx', frame: randomBytes(context.random, 1 + randomInt(context.random, 200)) }
      case 'too-large': {
        const bytes = encodeTx(freshTransfer())
        const frame = new Uint8Array(txBytesMax + 1)
        frame.set(bytes)
        return { to, protocol: 'tx', frame }
      }
    }
  }

  return {
    name: 'tx-spam',
    outgoing: (message, to) => {
      observer.ownMessage(message)
      if (message.kind === 'proposal') for (const tx of message.proposal.block.txs) remember(tx)
      return toEach(message, to)
    },
    incoming: (protocol, _from, frame) => {
      const message = observer.peerFrame(protocol, frame)
      if (message?.kind === 'proposal') for (const tx of message.proposal.block.txs) remember(tx)
      if (protocol === 'tx') {
        const tx = readTxFrame(frame)
        if (tx !== undefined) remember(tx)
      }
      return { pass: true }
    },
    tickFrames: () => {
      const withJunk = tickCount++ % txSpamJunkEveryTicks === 0
      const out: RawFrame[] = []
      for (let k = 0; k < txSpamFreshPerTick; k++) {
        const tx = freshTransfer()
        for (const to of others) out.push(txFrame(to, tx))
      }
      for (const to of others) {
        if (seen.length > 0)
          for (let k = 0; k < txSpamReplaysPerPeerPerTick; k++)
            out.push(txFrame(to, pick(context.random, seen)))
        if (withJunk) out.push(junk(to))
      }
      return out
    },
  }
}
