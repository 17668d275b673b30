import { consensusFrameBytesMax, syncFrameBytesMax, txFrameBytesMax } from '../ledger/limits.js'
import type { ProtocolName } from './env/network.js'
import { evidenceGossipFrameBytesMax, evidenceProtocol } from './evidence/constants.js'
import { txBatchFrameBytesMax } from './validator/tx-batch-codec.js'

/** Wire ids of the validator's protocols. */
export const protocolIds: Readonly<Record<ProtocolName, string>> = {
  consensus: '/quorate/consensus/1.0.0',
  // One transaction per frame: what validators before tx batching sent; still accepted, no longer sent.
  tx: '/quorate/tx/1.0.0',
  'tx-batch': '/quorate/tx-batch/1.0.0',
  sync: '/quorate/sync/1.0.0',
  evidence: evidenceProtocol,
}

export interface ProtocolLimits {
  /** Largest frame accepted or sent, checked before a frame's body is read. */
  readonly frameBytesMax: number
  /** Sustained inbound frames per second accepted from one peer; beyond it frames are dropped as a flood. */
  readonly framesPerSecondMax: number
  /** Frames one peer may send at once above the sustained rate. */
  readonly burstFramesMax: number
}

/**
 * Per peer and protocol: consensus traffic is a few messages per view; sync asks one batch at a time;
 * evidence is rare. What an honest validator sends to one peer stays well inside these (see the outbound
 * budgets of sync and evidence gossip), so no input can make it look like a flooder to another honest one.
 * A tx-batch frame carries at least one transaction, so an honest sender, paced in transactions (below), never
 * sends more tx-batch frames than transactions.
 */
export const protocolLimits: Readonly<Record<ProtocolName, ProtocolLimits>> = {
  consensus: { frameBytesMax: consensusFrameBytesMax, framesPerSecondMax: 1_000, burstFramesMax: 2_000 },
  tx: { frameBytesMax: txFrameBytesMax, framesPerSecondMax: 2_000, burstFramesMax: 4_000 },
  'tx-batch': { frameBytesMax: txBatchFrameBytesMax, framesPerSecondMax: 2_000, burstFramesMax: 4_000 },
  sync: { frameBytesMax: syncFrameBytesMax, framesPerSecondMax: 100, burstFramesMax: 200 },
  evidence: { frameBytesMax: evidenceGossipFrameBytesMax, framesPerSecondMax: 20, burstFramesMax: 100 },
}

/**
 * Gossiped transactions one peer may hand us for admission, per second and at once above that rate, over 'tx'
 * and 'tx-batch' frames together: each costs a signature check, so the bound is in transactions, not frames.
 * Beyond it the frame router drops them as a flood. An honest validator gossips to each peer at half of it.
 */
export const txGossipLimits = { txsPerSecondMax: 2_000, burstTxsMax: 4_000 } as const
