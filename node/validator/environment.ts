import type { SignatureVerifier } from '../../crypto/index.js'
import type { Genesis } from '../../ledger/genesis.js'
import type { LedgerStore } from '../../ledger/store/index.js'
import type { SafetyState, TimeoutCertificate } from '../../ledger/types.js'
import type { SafetyPersistence } from '../driver.js'
import type { Clock } from '../env/clock.js'
import type { PeerNetwork } from '../env/network.js'
import type { Logger } from '../logger.js'
import type { NodeMetrics } from '../metrics.js'
import type { OutgoingFilter } from '../outgoing-filter.js'

/**
 * Everything a validator takes from the world around it. Production binds the system clock, the libp2p host,
 * node:crypto and pino; the simulator binds simulated time and network, a synchronous verifier and a silent
 * logger, and runs the same Validator code.
 */
export interface ValidatorEnvironment {
  readonly clock: Clock
  readonly network: PeerNetwork
  /** Randomness for peer choice and jitter (and fixtures); seeded in the simulator. */
  readonly random: () => number
  readonly signatures: SignatureVerifier
  readonly logger: Logger
  readonly metrics: NodeMetrics
}

/** The safety store: what this validator signed, kept apart from the (re-syncable) chain data. */
export interface SafetyStorage extends SafetyPersistence {
  loadSafetyState(): Promise<SafetyState | null>
  loadHighestTC(): Promise<TimeoutCertificate | null>
}

/** The validator's storage, opened by its owner (who also closes it, after the validator). */
export interface ValidatorStorage {
  readonly ledger: LedgerStore
  readonly safety: SafetyStorage
  /** Named in operator guidance when stored data is corrupt. */
  readonly dataDir: string
}

export interface ValidatorSettings {
  readonly genesis: Genesis
  /** The consensus signing key (Ed25519 seed); its public key must be a validator's in genesis. */
  readonly consensusSecretKey: Uint8Array
  /** As leader of an idle block (no transactions to propose or to commit), wait this long after its parent. */
  readonly blockIntervalMs: number
  /** False: a quiescent chain, no blocks and no messages while there is no work (see ConsensusConfig). */
  readonly createEmptyBlocks: boolean
  /** A malicious test fixture (testnet mode and the simulator only; see createFixture). */
  readonly byzantine?: OutgoingFilter
}
