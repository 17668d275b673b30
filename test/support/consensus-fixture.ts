import { bytesEqual, toHex } from '../../crypto/hex.js'
import { keyPairFromSecret, sign, taggedHash } from '../../crypto/index.js'
import type { CommitRule } from '../../ledger/commit-rule.js'
import {
  blockHash,
  proposalSigningBytes,
  timeoutSigningBytes,
  txRoot,
  voteSigningBytes,
} from '../../ledger/hashing.js'
import type { Block, Hash, Proposal, QuorumCertificate, TimeoutCertificate } from '../../ledger/types.js'
import {
  type ConsensusAction,
  type ConsensusInput,
  type ConsensusState,
  childEntry,
  electedLeader,
  genesisActivity,
  initialState,
  noActivity,
  roundRobinLeader,
  step,
  type TreeEntry,
} from '../../node/consensus/index.js'
import { defaultSimParams } from '../sim/cluster.js'

/** Hand-built blocks, QCs and TCs for driving one replica's core step by step. */
export class ConsensusFixture {
  readonly chainId = 'fixture'
  readonly secrets = [1, 2, 3, 4].map((seed) => new Uint8Array(32).fill(seed))
  readonly validators = this.secrets.map((secret) => keyPairFromSecret(secret).publicKey)
  readonly genesisStateRoot: Hash = taggedHash('fixture/state', new Uint8Array(0))
  readonly genesis: Block
  readonly genesisHash: Hash
  readonly genesisQC: QuorumCertificate
  state: ConsensusState
  readonly actions: ConsensusAction[] = []
  /** Tree entries of the blocks `child` built, by hex hash: each names its elected leader as the proposer. */
  readonly #entries = new Map<string, TreeEntry>()

  constructor(
    readonly selfIndex: number,
    readonly commitRule: CommitRule = 'three-chain',
  ) {
    this.genesis = {
      header: {
        height: 0,
        view: 0,
        parentHash: new Uint8Array(32),
        justify: { view: 0, blockHash: new Uint8Array(32), signers: [], signatures: [] },
        proposer: 0,
        timestampMs: 0,
        txRoot: txRoot([]),
        stateRoot: this.genesisStateRoot,
      },
      txs: [],
    }
    this.genesisHash = blockHash(this.genesis.header)
    this.genesisQC = { view: 0, blockHash: this.genesisHash, signers: [], signatures: [] }
    const secret = this.secrets[selfIndex]!
    this.state = initialState({
      config: {
        chainId: this.chainId,
        validators: this.validators,
        selfIndex,
        sign: (message) => sign(message, secret),
        params: { ...defaultSimParams, viewTimeoutBackoffExponentMax: 3, commitRule },
        createEmptyBlocks: true,
      },
      safety: { lastVotedView: 0, preferredView: 0, highQC: this.genesisQC, lastTimeout: null },
      root: {
        block: this.genesis,
        hash: this.genesisHash,
        hashHex: toHex(this.genesisHash),
        parentView: 0,
        grandparentView: 0,
        impliedCommitHeight: 0,
        lastActiveViews: genesisActivity(this.validators.length),
        lastFailedViews: noActivity(this.validators.length),
      },
      stateRoots: new Map([[0, this.genesisStateRoot]]),
    })
  }

  /** Steps the core and returns only this step's actions. */
  input(input: ConsensusInput): ConsensusAction[] {
    const result = step(this.state, input)
    this.state = result.state
    this.actions.push(...result.actions)
    return [...result.actions]
  }

  /**
   * A child of `parent` in `view`, proposed by the leader elected over the parent (round robin for a parent
   * that `child` did not build, such as a variant).
   */
  child(parent: Block, view: number, justify: QuorumCertificate, stateRoot = this.genesisStateRoot): Block {
    const parentHash = blockHash(parent.header)
    const parentEntry = this.#entries.get(toHex(parentHash)) ?? this.#rootEntryFor(parent)
    const block: Block = {
      header: {
        height: parent.header.height + 1,
        view,
        parentHash,
        justify,
        proposer:
          parentEntry === undefined
            ? roundRobinLeader(view, this.validators.length)
            : electedLeader(view, parentEntry),
        timestampMs: parent.header.timestampMs + 1,
        txRoot: txRoot([]),
        stateRoot,
      },
      txs: [],
    }
    if (parentEntry !== undefined) {
      const hash = blockHash(block.header)
      this.#entries.set(toHex(hash), childEntry(parentEntry, block, hash, this.commitRule))
    }
    return block
  }

  #rootEntryFor(block: Block): TreeEntry | undefined {
    const root = this.state.tree.get(this.state.rootHashHex)
    return root !== undefined && bytesEqual(root.hash, blockHash(block.header)) ? root : undefined
  }

  qcFor(block: Block, signers = [0, 1, 2]): QuorumCertificate {
    const hash = blockHash(block.header)
    const message = voteSigningBytes(this.chainId, block.header.view, hash)
    return {
      view: block.header.view,
      blockHash: hash,
      signers,
      signatures: signers.map((signer) => sign(message, this.secrets[signer]!)),
    }
  }

  tcFor(view: number, highQCView: number, signers = [0, 1, 2]): TimeoutCertificate {
    const message = timeoutSigningBytes(this.chainId, view, highQCView)
    return {
      view,
      signers,
      highQCViews: signers.map(() => highQCView),
      signatures: signers.map((signer) => sign(message, this.secrets[signer]!)),
    }
  }

  proposal(block: Block, lastViewTC: TimeoutCertificate | null = null): Proposal {
    const hash = blockHash(block.header)
    const signer = this.secrets[block.header.proposer]!
    return { block, lastViewTC, signature: sign(proposalSigningBytes(this.chainId, hash), signer) }
  }

  propose(block: Block, lastViewTC: TimeoutCertificate | null = null): ConsensusAction[] {
    return this.input({ kind: 'proposal', proposal: this.proposal(block, lastViewTC), nowMs: 1_000_000 })
  }
}

export function votesIn(actions: readonly ConsensusAction[]): number[] {
  return actions.flatMap((action) =>
    action.kind === 'broadcast' && action.message.kind === 'vote' ? [action.message.vote.view] : [],
  )
}

export function commitsIn(actions: readonly ConsensusAction[]): number[] {
  return actions.flatMap((action) =>
    action.kind === 'commit' ? action.blocks.map((b) => b.block.header.height) : [],
  )
}
