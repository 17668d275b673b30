import { toHex } from '../../crypto/hex.js'
import { type AccountEntry, AccountsApp } from '../../ledger/app/index.js'
import { txHash } from '../../ledger/hashing.js'
import type { Block, Hash, SafetyState, TimeoutCertificate, Tx } from '../../ledger/types.js'
import {
  type CommittedBlock,
  type ConsensusConfig,
  type ConsensusState,
  initialState,
  rootEntryFromChain,
  stateRootHeightsAtBoot,
} from '../../node/consensus/index.js'
import { Mempool } from '../../node/mempool/mempool.js'
import type { ByzantineBehaviour } from '../../testnet/byzantine/types.js'

/** What survives a crash: the safety state and the committed chain (with each block's resulting state root). */
export interface SimDisk {
  safety: SafetyState
  readonly committed: CommittedBlock[]
  readonly stateRoots: Hash[]
  /** Blocks of the block tree, saved by persist-block (pruned on commit). */
  readonly pendingBlocks: Map<string, Block>
  /** Transactions this node admitted (tx hash hex → tx), as the node's mempool journal keeps them. */
  readonly mempoolJournal: Map<string, Tx>
  /** The highest TC the node entered a view with (persist-tc). */
  highestTC: TimeoutCertificate | null
}

export interface SimGenesis {
  readonly block: Block
  readonly hash: Hash
  readonly stateRoot: Hash
  readonly safety: SafetyState
  readonly accounts: readonly AccountEntry[]
}

/** One simulated validator process: the production core plus an in-memory app, mempool and disk. */
export class SimNode {
  readonly id: number
  readonly index: number
  readonly behaviour: ByzantineBehaviour | null
  readonly isTwin: boolean
  readonly disk: SimDisk
  state: ConsensusState
  app: AccountsApp
  mempool: Mempool
  readonly committedTxs = new Set<string>()
  up = true
  /** Bumped on every crash, so timers and inputs of a previous life are ignored. */
  epoch = 0

  constructor(
    id: number,
    index: number,
    readonly config: ConsensusConfig,
    readonly genesis: SimGenesis,
    behaviour: ByzantineBehaviour | null,
    isTwin: boolean,
  ) {
    this.id = id
    this.index = index
    this.behaviour = behaviour
    this.isTwin = isTwin
    this.disk = {
      safety: genesis.safety,
      committed: [],
      stateRoots: [],
      pendingBlocks: new Map(),
      mempoolJournal: new Map(),
      highestTC: null,
    }
    this.app = AccountsApp.fromAccounts(genesis.accounts)
    this.mempool = newMempool()
    this.state = this.#bootState()
  }

  /** Honest nodes are the ones the checkers speak for: neither malicious fixtures nor twins. */
  get isHonest(): boolean {
    return this.behaviour === null && !this.isTwin
  }

  get committedHeight(): number {
    return this.disk.committed.length
  }

  crash(): void {
    this.up = false
    this.epoch++
  }

  /**
   * Restart from disk: memory (block tree, votes, mempool) is gone; the app is rebuilt from the chain. The
   * cluster then re-admits the mempool journal, as the node does on start.
   */
  restart(): void {
    if (this.behaviour?.wipesSafetyStateOnRestart) this.disk.safety = this.genesis.safety
    this.app = AccountsApp.fromAccounts(this.genesis.accounts)
    this.committedTxs.clear()
    for (const { block } of this.disk.committed) this.#execute(block)
    this.mempool = newMempool()
    this.state = this.#bootState()
    this.up = true
    this.epoch++
  }

  /** Saved pending blocks above the committed height, lowest first: replayed into the tree on restart. */
  savedPendingBlocks(): Block[] {
    return [...this.disk.pendingBlocks.values()]
      .filter((block) => block.header.height > this.committedHeight)
      .sort((a, b) => a.header.height - b.header.height)
  }

  /** Executes a committed block; returns its state root. */
  commit(committed: CommittedBlock): Hash {
    const expectedHeight = this.committedHeight + 1
    if (committed.block.header.height !== expectedHeight) {
      throw new Error(
        `node ${this.id} committed height ${committed.block.header.height}, expected ${expectedHeight}`,
      )
    }
    const { stateRoot, stale } = this.#execute(committed.block)
    this.disk.committed.push(committed)
    this.disk.stateRoots.push(stateRoot)
    for (const tx of committed.block.txs) this.disk.mempoolJournal.delete(toHex(txHash(tx)))
    for (const hashHex of stale) this.disk.mempoolJournal.delete(hashHex)
    for (const [key, block] of this.disk.pendingBlocks) {
      if (block.header.height <= expectedHeight) this.disk.pendingBlocks.delete(key)
    }
    return stateRoot
  }

  /** Executes a block against the app and the mempool; returns the state root and what became stale. */
  #execute(block: Block): { stateRoot: Hash; stale: string[] } {
    const execution = this.app.executeBlock(block.txs, (hash) => this.committedTxs.has(toHex(hash)))
    for (const receipt of execution.receipts) {
      const hashHex = toHex(receipt.txHash)
      this.committedTxs.add(hashHex)
      this.mempool.remove(hashHex)
    }
    const stale = execution.changed.flatMap(({ address, account }) =>
      this.mempool.pruneStale(address, account),
    )
    return { stateRoot: execution.stateRoot, stale }
  }

  #bootState(): ConsensusState {
    const height = this.committedHeight
    const root = rootEntryFromChain(height, (h) =>
      h === 0 ? this.genesis.block : this.disk.committed[h - 1]!.block,
    )
    const stateRootAt = (h: number) => (h === 0 ? this.genesis.stateRoot : this.disk.stateRoots[h - 1]!)
    return initialState({
      config: this.config,
      safety: this.disk.safety,
      root,
      stateRoots: new Map(stateRootHeightsAtBoot(root).map((h) => [h, stateRootAt(h)])),
      highestTC: this.disk.highestTC,
    })
  }
}

function newMempool(): Mempool {
  return new Mempool({ txCountMax: 10_000, bytesMax: 8 * 1_048_576, nonceGapMax: 64 })
}
