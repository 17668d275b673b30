import { sign, verify } from '../../crypto/index.js'
import { txSigningBytes } from '../../ledger/hashing.js'
import { MessageVerifier } from '../../node/consensus/index.js'
import type { ByzantineContext } from '../../testnet/byzantine/index.js'
import { Prng } from '../sim/prng.js'
import type { ConsensusFixture } from './consensus-fixture.js'

/** What a malicious fixture gets when it runs as validator `selfIndex` of a ConsensusFixture's chain, seeded. */
export function byzantineContext(
  fixture: ConsensusFixture,
  selfIndex: number,
  seed = 1,
  overrides: Partial<ByzantineContext> = {},
): ByzantineContext {
  const prng = new Prng(seed)
  const secret = fixture.secrets[selfIndex]!
  return {
    selfIndex,
    validatorCount: fixture.validators.length,
    chainId: fixture.chainId,
    sign: (message) => sign(message, secret),
    random: () => prng.next(),
    nowMs: () => 1_000_000,
    genesisHash: fixture.genesisHash,
    blockTxCountMax: fixture.state.config.params.blockTxCountMax,
    ...overrides,
  }
}

/** The receiver's checks of keys, certificates and leader identity, with every tx accepted (signatures only). */
export function signatureVerifier(fixture: ConsensusFixture): MessageVerifier {
  return new MessageVerifier({
    chainId: fixture.chainId,
    validators: fixture.validators,
    genesisQC: fixture.genesisQC,
    verifyTx: () => true,
  })
}

/** The receiver's full checks, transaction signatures included. */
export function fullVerifier(fixture: ConsensusFixture): MessageVerifier {
  return new MessageVerifier({
    chainId: fixture.chainId,
    validators: fixture.validators,
    genesisQC: fixture.genesisQC,
    verifyTx: (tx) => tx.chainId === fixture.chainId && verify(tx.signature, txSigningBytes(tx), tx.from),
  })
}
