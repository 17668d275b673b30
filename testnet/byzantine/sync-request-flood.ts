// Sync request flood: a peer that keeps asking. Honest in consensus; on every tick it sends each other validator
// a burst of sync requests, just under the protocol's per-peer frame rate (so a rate limiter alone does not stop
// it), cycling through the most expensive ones to serve: `get-blocks` for a full batch from a random committed
// height (a store read per block, a reply of up to a full frame), `get-block` for a block it has seen (a tree or
// store read), `get-block` for a random hash (a store miss), and `get-head`. It never waits for an answer.
//
// An honest validator must bound what it serves one peer (requests in flight, reply bytes, reads per second),
// drop and penalise the rest as a flood, keep serving honest peers that ask one request at a time, and keep
// its own consensus and block sync unaffected.

import { blockHash } from '../../ledger/hashing.js'
import { syncBatchBlockCountMax } from '../../ledger/limits.js'
import { protocolLimits } from '../../node/protocols.js'
import type { SyncMessage } from '../../node/sync/sync-messages.js'
import { type RawFrame, syncFrame } from './frames.js'
import { otherValidators } from './messages.js'
import { ChainObserver, watchingHooks } from './observed-chain.js'
import { pick, randomBytes, randomInt } from './random.js'
import type { ByzantineFactory } from './types.js'

export const syncRequestFloodKinds = ['get-blocks', 'get-block-seen', 'get-block-random', 'get-head'] as const
export type SyncRequestFloodKind = (typeof syncRequestFloodKinds)[number]

/** Requests per peer per tick: 80% of the sync protocol's sustained rate per peer at the 100 ms tick. */
export const syncRequestFloodPerPeerPerTick = Math.floor((protocolLimits.sync.framesPerSecondMax * 0.8) / 10)

export const syncRequestFloodFixture: ByzantineFactory = (context) => {
  const observer = new ChainObserver()
  const others = otherValidators(context)
  let requestCount = 0

  const request = (): SyncMessage => {
    const kind = syncRequestFloodKinds[requestCount++ % syncRequestFloodKinds.length] as SyncRequestFloodKind
    const seen = observer.proposals()
    switch (kind) {
      case 'get-blocks':
        return {
          kind: 'get-blocks',
          fromHeight: 1 + randomInt(context.random, Math.max(1, observer.height)),
          count: syncBatchBlockCountMax,
        }
      case 'get-block-seen':
        if (seen.length > 0) {
          const { header } = pick(context.random, seen).block
          const hash = context.random() < 0.5 ? blockHash(header) : header.parentHash
          return { kind: 'get-block', hash }
        }
        return { kind: 'get-block', hash: randomBytes(context.random, 32) }
      case 'get-block-random':
        return { kind: 'get-block', hash: randomBytes(context.random, 32) }
      case 'get-head':
        return { kind: 'get-head' }
    }
  }

  return {
    name: 'sync-request-flood',
    ...watchingHooks(observer),
    tickFrames: () => {
      const out: RawFrame[] = []
      for (const to of others) {
        for (let k = 0; k < syncRequestFloodPerPeerPerTick; k++) out.push(syncFrame(to, request()))
      }
      return out
    },
  }
}
