import { toHex } from '../../crypto/hex.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { DecodeError } from '../../ledger/codec/index.js'
import { type LedgerStore, StoreError } from '../../ledger/store/index.js'
import type { Block, QuorumCertificate, SafetyState } from '../../ledger/types.js'
import {
  type ConsensusConfig,
  type ConsensusState,
  chainShapeOf,
  initialState,
  type TreeEntry,
} from '../consensus/index.js'
import { CorruptDataError, corruptDataError, verifyStoredChain } from '../integrity.js'
import { loadBootStateRoots, loadTreeRoot } from '../recovery.js'
import type { SafetyStorage } from './environment.js'

/** What a validator rebuilds from its storage before it takes part in consensus. */
export interface BootedState {
  readonly app: AccountsApp
  /** The committed head as a tree entry (what the committer extends). */
  readonly root: TreeEntry
  readonly consensus: ConsensusState
}

export interface BootInputs {
  readonly ledger: LedgerStore
  readonly safety: SafetyStorage
  readonly dataDir: string
  readonly genesisBlock: Block
  readonly genesisQC: QuorumCertificate
  readonly config: ConsensusConfig
  readonly verifyQC: (qc: QuorumCertificate) => boolean
  /** The amnesia fixture boots as if it had never signed anything. */
  readonly forgetSafetyState: boolean
}

/**
 * Boots from storage: the application state (checked against the head's state root), the newest committed
 * blocks re-verified, the block-tree root, the state roots the core needs, and the safety state. Whatever is
 * unreadable or inconsistent reaches the operator as CorruptDataError with the recovery guidance, never as a
 * raw decode or store error.
 */
export async function bootFromStorage(inputs: BootInputs): Promise<BootedState> {
  const { ledger, dataDir } = inputs
  try {
    const app = AccountsApp.fromAccounts(await ledger.allAccounts())
    const head = ledger.head()
    if (toHex(app.stateRoot()) !== toHex(head.stateRoot)) {
      throw corruptDataError(dataDir, `the accounts do not match the state root of block ${head.height}`)
    }
    await verifyStoredChain(ledger, inputs.verifyQC, dataDir)
    const root = await loadTreeRoot(ledger, inputs.genesisBlock, chainShapeOf(inputs.config))
    const consensus = await consensusStateOver(inputs, root, await loadSafety(inputs))
    return { app, root, consensus }
  } catch (error) {
    throw asCorruptData(error, dataDir)
  }
}

/**
 * A consensus state over the store's committed head, keeping `safety` (after block sync moved the head), with
 * its highQC raised to the QC that certifies the head if that one is higher. A replica whose head moved by
 * block sync (or that committed from broadcast votes before its last safety write) then starts in the view
 * after the head's QC, not in the view it stopped in: on a quiescent chain nothing else would bring it there,
 * and the votes the others repeat while idle are beyond its view window until it is.
 */
export async function consensusStateOver(
  inputs: Pick<BootInputs, 'ledger' | 'safety' | 'config'>,
  root: TreeEntry,
  safety: SafetyState,
): Promise<ConsensusState> {
  const headQC = await inputs.ledger.qcForBlock(root.hash)
  const raised =
    headQC !== undefined && headQC.view > safety.highQC.view ? { ...safety, highQC: headQC } : safety
  return initialState({
    config: inputs.config,
    safety: raised,
    root,
    stateRoots: await loadBootStateRoots(inputs.ledger, root),
    highestTC: await inputs.safety.loadHighestTC(),
  })
}

async function loadSafety(inputs: BootInputs): Promise<SafetyState> {
  const stored = inputs.forgetSafetyState ? null : await inputs.safety.loadSafetyState()
  return stored ?? { lastVotedView: 0, preferredView: 0, highQC: inputs.genesisQC, lastTimeout: null }
}

/** Store and decode failures found while booting mean the data cannot be trusted: say what to do. */
export function asCorruptData(error: unknown, dataDir: string): unknown {
  if (error instanceof CorruptDataError) return error
  if (error instanceof StoreError && error.code !== 'io' && error.code !== 'closed')
    return corruptDataError(dataDir, error.message, error)
  if (error instanceof DecodeError) return corruptDataError(dataDir, error.message, error)
  return error
}
