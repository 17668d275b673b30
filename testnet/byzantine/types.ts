import type { ConsensusMessage, Hash, Signature } from '../../ledger/types.js'

/** What a malicious fixture may use: our index, the validator count, our signing key, randomness and time. */
export interface ByzantineContext {
  readonly selfIndex: number
  readonly validatorCount: number
  readonly chainId: string
  /** Signs with this validator's own consensus key (a fixture never has another validator's key). */
  readonly sign: (message: Uint8Array) => Signature
  /** Seeded in the simulator, Math.random in a real process. */
  readonly random: () => number
  readonly nowMs: () => number
  /** The genesis block hash (for forging certificates that look plausible). */
  readonly genesisHash: Hash
  /** blockTxCountMax of the chain's consensus params (an oversized block exceeds it). */
  readonly blockTxCountMax: number
}

/** One message to one validator, optionally held back for `delayMs`. */
export interface Outgoing {
  readonly to: number
  readonly message: ConsensusMessage
  readonly delayMs?: number
}

/**
 * A malicious behaviour wraps an honest replica: the honest core decides, the behaviour rewrites what leaves
 * (drop, alter, duplicate, redirect, delay, add). It sees everything the replica sends, so it can replay it later.
 */
export interface ByzantineBehaviour {
  readonly name: string
  /** The honest core wants to send `message` to the validators in `to` (never including ourselves). */
  outgoing(message: ConsensusMessage, to: readonly number[]): Outgoing[]
  /** Extra traffic the behaviour sends on its own, asked for periodically (floods, replays). */
  tick?(nowMs: number): Outgoing[]
  /** Amnesia: restart with the safety state wiped (same key), so it may sign twice for one view. */
  readonly wipesSafetyStateOnRestart?: boolean
}

export type ByzantineFactory = (context: ByzantineContext) => ByzantineBehaviour
