// A certified chain for tests of the commit path: blocks over consecutive views, each carrying the state root of
// its implied commit height as a reference execution computed it, with the exact set of committed tx hashes (so
// the reference answers "already committed?" without any index). The QCs carry no signatures: the committer
// takes certified blocks, and checking signatures is consensus's and block sync's job.

import { toHex } from '../../crypto/hex.js'
import { type AccountEntry, AccountsApp } from '../../ledger/app/index.js'
import type { CommitRule } from '../../ledger/commit-rule.js'
import { defaultConsensusParams } from '../../ledger/genesis.js'
import { blockHash, txRoot } from '../../ledger/hashing.js'
import {
  type Block,
  type Hash,
  type QuorumCertificate,
  type Receipt,
  ReceiptCode,
  type Tx,
} from '../../ledger/types.js'
import {
  type ChainShape,
  type CommittedBlock,
  childEntry,
  impliedCommitHeightOfChild,
  type TreeEntry,
} from '../../node/consensus/index.js'

export function unsignedQC(block: Block): QuorumCertificate {
  return { view: block.header.view, blockHash: blockHash(block.header), signers: [], signatures: [] }
}

/**
 * A block on a one-block-per-view chain for store tests (the store checks neither signatures nor certificates):
 * height = view, justified by an unsigned QC for its parent, proposer 0, timestamp = height.
 */
export function plainBlock(height: number, parentHash: Hash, txs: readonly Tx[], stateRoot: Hash): Block {
  return {
    header: {
      height,
      view: height,
      parentHash,
      justify: { view: height - 1, blockHash: parentHash, signers: [], signatures: [] },
      proposer: 0,
      timestampMs: height,
      txRoot: txRoot(txs),
      stateRoot,
    },
    txs: [...txs],
  }
}

/** The genesis block of a test chain over `accounts`. */
export function testGenesis(accounts: readonly AccountEntry[]): Block {
  return {
    header: {
      height: 0,
      view: 0,
      parentHash: new Uint8Array(32),
      justify: { view: 0, blockHash: new Uint8Array(32), signers: [], signatures: [] },
      proposer: 0,
      timestampMs: 0,
      txRoot: txRoot([]),
      stateRoot: AccountsApp.fromAccounts(accounts).stateRoot(),
    },
    txs: [],
  }
}

/** The chain shape of the one-validator stores these tests build, with the rule new chains get. */
export const oneValidatorChain: ChainShape = {
  validatorCount: 1,
  commitRule: defaultConsensusParams.commitRule,
}

export class ReferenceChain {
  readonly app: AccountsApp
  /** Hex hashes of every committed (executed or failed, not duplicate) tx. */
  readonly committed = new Set<string>()
  /** The state root after each height (index = height). */
  readonly #roots: Hash[]
  #entry: TreeEntry
  #justify: QuorumCertificate

  /** `root`: the genesis tree entry, as loadTreeRoot gives it. */
  constructor(
    accounts: readonly AccountEntry[],
    root: TreeEntry,
    readonly commitRule: CommitRule = defaultConsensusParams.commitRule,
  ) {
    this.app = AccountsApp.fromAccounts(accounts)
    this.#roots = [root.block.header.stateRoot]
    this.#entry = root
    this.#justify = unsignedQC(root.block)
  }

  /** The next certified block holding `txs`, and the receipts its execution gives. */
  next(txs: readonly Tx[]): { committed: CommittedBlock; receipts: Receipt[] } {
    const parent = this.#entry
    const view = parent.block.header.view + 1
    const block: Block = {
      header: {
        height: parent.block.header.height + 1,
        view,
        parentHash: parent.hash,
        justify: this.#justify,
        proposer: view % 4,
        timestampMs: parent.block.header.timestampMs + 1,
        txRoot: txRoot(txs),
        stateRoot: this.#roots[impliedCommitHeightOfChild(parent, this.commitRule)] as Hash,
      },
      txs: [...txs],
    }
    const hash = blockHash(block.header)
    const execution = this.app.executeBlock(txs, (hashOfTx) => this.committed.has(toHex(hashOfTx)))
    for (const receipt of execution.receipts) {
      if (receipt.code !== ReceiptCode.duplicate) this.committed.add(toHex(receipt.txHash))
    }
    this.#roots.push(execution.stateRoot)
    this.#justify = unsignedQC(block)
    this.#entry = childEntry(parent, block, hash, this.commitRule)
    return { committed: { block, hash, qc: this.#justify }, receipts: execution.receipts }
  }
}
