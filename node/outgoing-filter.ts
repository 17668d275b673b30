import type { ConsensusMessage, Hash, Signature } from '../ledger/types.js'
import type { ProtocolName } from './env/network.js'

/**
 * A hook on what a validator sends and receives, for testnet malicious-node fixtures only
 * (`quorate start --byzantine NAME`, refused outside testnet mode; the simulator's node specs). The fixtures in
 * testnet/byzantine/ satisfy these shapes; node/ only knows the shapes, so the import arrows keep pointing from
 * testnet to node.
 */
export interface OutgoingFilterContext {
  readonly selfIndex: number
  readonly validatorCount: number
  readonly chainId: string
  readonly sign: (message: Uint8Array) => Signature
  /** The validator's injected randomness (seeded in the simulator). */
  readonly random: () => number
  /** The validator's injected clock. */
  readonly nowMs: () => number
  readonly genesisHash: Hash
  readonly blockTxCountMax: number
}

/** A consensus message for one validator (by index), optionally held back `delayMs`. */
export interface FilteredMessage {
  readonly to: number
  readonly message: ConsensusMessage
  readonly delayMs?: number
}

/** A raw frame on any of the validator's protocols, for one validator (by index). */
export interface RawFrame {
  readonly to: number
  readonly protocol: ProtocolName
  readonly frame: Uint8Array
  readonly delayMs?: number
}

/** What a fixture does with a frame that reached its validator. */
export interface IncomingVerdict {
  /** Hand the frame on to the honest validator code (false: swallow it). */
  readonly pass: boolean
  /** Frames the fixture sends in answer (a lying sync server answers `get-head` itself). */
  readonly replies?: readonly RawFrame[]
}

export interface OutgoingFilter {
  readonly name: string
  /** Rewrites the consensus messages the honest core sends (drop, alter, duplicate, redirect, delay). */
  outgoing(message: ConsensusMessage, to: readonly number[]): FilteredMessage[]
  /** Every `outgoingFilterTickMs`: consensus messages of its own. */
  tick?(nowMs: number): FilteredMessage[]
  /** Every `outgoingFilterTickMs`: frames of its own on any protocol (sync, tx gossip, evidence, consensus). */
  tickFrames?(nowMs: number): RawFrame[]
  /** Sees every frame that reaches the validator before the honest code does. */
  incoming?(protocol: ProtocolName, fromIndex: number, frame: Uint8Array): IncomingVerdict
  /**
   * Rewrites the honest code's frames on the other protocols (sync, tx, evidence) before they leave; absent,
   * they leave unchanged.
   */
  outgoingFrame?(protocol: Exclude<ProtocolName, 'consensus'>, to: number, frame: Uint8Array): RawFrame[]
  /** Restarts with its safety state wiped (same key): the amnesia fixture. */
  readonly wipesSafetyStateOnRestart?: boolean
  /**
   * Never reads what peers send it: in a real process its inbound streams stall (the p2p host stops reading);
   * in the simulator nothing is delivered to it and its peers' send queues to it fill up.
   */
  readonly readsNothing?: boolean
}

export type OutgoingFilterFactory = (context: OutgoingFilterContext) => OutgoingFilter

/** How often a filter's `tick` and `tickFrames` may send traffic of its own. */
export const outgoingFilterTickMs = 100
