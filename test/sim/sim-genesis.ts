import { type KeyPair, keyPairFromSecret } from '../../crypto/index.js'
import { type ConsensusParams, type Genesis, genesisBlock, genesisQC } from '../../ledger/genesis.js'
import { blockHash } from '../../ledger/hashing.js'
import type { Block, Hash, QuorumCertificate } from '../../ledger/types.js'
import type { Prng } from './prng.js'

export const simChainId = 'sim'

/** The simulator's consensus parameters (a shorter backoff cap than production, so runs recover in views). */
export const defaultSimParams: ConsensusParams = {
  viewTimeoutBaseMs: 1_000,
  viewTimeoutMaxMs: 8_000,
  blockTxCountMax: 100,
  maxClockDriftMs: 5_000,
  commitRule: 'two-chain',
}

/** Funds of every client account at genesis. */
export const simClientBalance = 1_000_000n

/** A simulated chain: a real Genesis (as a genesis.json would give), the keys behind it, and its root. */
export interface SimChain {
  readonly genesis: Genesis
  readonly consensusKeys: readonly KeyPair[]
  readonly nodeKeys: readonly KeyPair[]
  readonly clientKeys: readonly KeyPair[]
  readonly block: Block
  readonly hash: Hash
  readonly stateRoot: Hash
  readonly qc: QuorumCertificate
}

export function simChain(
  prng: Prng,
  validators: number,
  clients: number,
  params: Partial<ConsensusParams> = {},
): SimChain {
  const key = () => keyPairFromSecret(Uint8Array.from({ length: 32 }, () => prng.int(0, 255)))
  const consensusKeys = Array.from({ length: validators }, key)
  const nodeKeys = Array.from({ length: validators }, key)
  const clientKeys = Array.from({ length: clients }, key)
  const genesis: Genesis = {
    chainId: simChainId,
    genesisTimeMs: 0,
    validators: consensusKeys.map((consensus, index) => ({
      index,
      name: `validator-${index}`,
      consensusKey: consensus.publicKey,
      nodeKey: nodeKeys[index]!.publicKey,
    })),
    accounts: clientKeys.map((client) => ({ address: client.publicKey, balance: simClientBalance })),
    params: { ...defaultSimParams, ...params },
  }
  const block = genesisBlock(genesis)
  return {
    genesis,
    consensusKeys,
    nodeKeys,
    clientKeys,
    block,
    hash: blockHash(block.header),
    stateRoot: block.header.stateRoot,
    qc: genesisQC(genesis),
  }
}
