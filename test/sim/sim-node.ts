import { toHex } from '../../crypto/hex.js'
import type { Hash } from '../../ledger/types.js'
import type { CommittedBlock } from '../../node/consensus/index.js'
import type { NodeMetrics } from '../../node/metrics.js'
import type { Validator } from '../../node/validator/validator.js'
import type { PeerGuard } from '../../p2p/peer-guard.js'
import type { ByzantineName } from '../../testnet/byzantine/index.js'
import { CrashableDisk } from '../support/crashable-disk.js'

/** One simulated process: a validator index, and optionally a malicious fixture or a twin role. */
export interface NodeSpec {
  readonly index: number
  readonly byzantine?: ByzantineName
  /** Shares its key with another node of the same index (Twins). */
  readonly twin?: boolean
  /** No client sends to it: an honest validator that the scenario crashes later (its clients would wait). */
  readonly noClients?: boolean
}

/**
 * One simulated validator process over its lives: the production Validator (booted from its storage at every
 * start), storage that outlives crashes (what was synced), and what the checkers read. Memory, timers and peer
 * scores die with a life.
 */
export class SimNode {
  readonly id: number
  readonly index: number
  readonly spec: NodeSpec
  readonly nodeKeyHex: string
  readonly consensusSecretKey: Uint8Array
  /** Its disk: what was synced survives a crash (a power cut), the rest is lost. */
  readonly storage = new CrashableDisk()
  /** The running life's validator (null while down or booting). */
  validator: Validator | null = null
  /** The running life's peer scores, bans and flood gates: the p2p host's own policy. */
  guard: PeerGuard | null = null
  up = false
  /** Bumped at every crash and boot: timers, frames and writes of an earlier life are ignored. */
  epoch = 0
  /** Clock skew of this process, in ms (clock faults). */
  skewMs = 0
  /** Committed blocks in height order (index h - 1), with the state root after each: recorded at commit. */
  readonly committed: CommittedBlock[] = []
  readonly stateRoots: Hash[] = []
  /** Every life's metrics, to read what it counted. */
  readonly metricsOfLives: NodeMetrics[] = []
  /** The highest view reached in an earlier life (for liveness bounds). */
  lastView = 0

  constructor(id: number, spec: NodeSpec, nodeKeyHex: string, consensusSecretKey: Uint8Array) {
    this.id = id
    this.index = spec.index
    this.spec = spec
    this.nodeKeyHex = nodeKeyHex
    this.consensusSecretKey = consensusSecretKey
  }

  /** Honest nodes are the ones the checkers speak for: neither malicious fixtures nor twins. */
  get isHonest(): boolean {
    return this.spec.byzantine === undefined && this.spec.twin !== true
  }

  get committedHeight(): number {
    return this.committed.length
  }

  /** The highest view this process has reached, in any life (a booting life starts from view 0). */
  get view(): number {
    return Math.max(this.lastView, this.validator?.consensus.view ?? 0)
  }

  /** A process crash (or power cut): memory gone, unsynced writes lost. */
  crash(): void {
    this.lastView = this.view
    this.up = false
    this.epoch++
    this.validator = null
    this.guard?.close()
    this.guard = null
    this.storage.crash()
  }

  /** Called by the validator after each commit (once it is on disk). */
  recordCommit(committed: CommittedBlock, stateRoot: Hash): void {
    const expected = this.committed.length + 1
    if (committed.block.header.height !== expected) {
      throw new Error(
        `node ${this.id} committed height ${committed.block.header.height}, expected ${expected} (${toHex(committed.hash)})`,
      )
    }
    this.committed.push(committed)
    this.stateRoots.push(stateRoot)
  }
}
