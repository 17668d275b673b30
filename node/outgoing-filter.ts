import type { ConsensusMessage, Hash, Signature } from '../ledger/types.js'

/**
 * A hook on what a validator's consensus core sends, for testnet malicious-node fixtures only
 * (`quorate start --byzantine NAME`, refused outside testnet mode). The fixtures in testnet/byzantine/ satisfy
 * these shapes; node/ only knows the shapes, so the import arrows keep pointing from testnet to node.
 */
export interface OutgoingFilterContext {
  readonly selfIndex: number
  readonly validatorCount: number
  readonly chainId: string
  readonly sign: (message: Uint8Array) => Signature
  readonly random: () => number
  readonly nowMs: () => number
  readonly genesisHash: Hash
  readonly blockTxCountMax: number
}

export interface FilteredMessage {
  readonly to: number
  readonly message: ConsensusMessage
  readonly delayMs?: number
}

export interface OutgoingFilter {
  readonly name: string
  outgoing(message: ConsensusMessage, to: readonly number[]): FilteredMessage[]
  tick?(nowMs: number): FilteredMessage[]
  readonly wipesSafetyStateOnRestart?: boolean
}

export type OutgoingFilterFactory = (context: OutgoingFilterContext) => OutgoingFilter

/** How often a filter's `tick` may send traffic of its own. */
export const outgoingFilterTickMs = 100
