// fast-check arbitraries for every ledger type, producing only values the codec can encode, plus the seeded
// parameters every property test uses (so a failure is reproducible with QUORATE_SEED=<seed>).

import fc from 'fast-check'
import { blockTxCountMax, validatorCountMax } from '../../ledger/limits.js'
import {
  type Account,
  type Block,
  type BlockHeader,
  type ConsensusMessage,
  type Proposal,
  type QuorumCertificate,
  type Receipt,
  ReceiptCode,
  type SafetyState,
  type Timeout,
  type TimeoutCertificate,
  type Tx,
  type Vote,
} from '../../ledger/types.js'

const seedDefault = 0x51_0a_7e

/** The seed for property tests: fixed so CI is reproducible, overridable with QUORATE_SEED to explore. */
export function propertySeed(): number {
  const text = process.env.QUORATE_SEED
  if (text === undefined || text === '') return seedDefault
  const seed = Number(text)
  if (!Number.isSafeInteger(seed)) throw new Error(`QUORATE_SEED must be an integer, got ${text}`)
  return seed | 0
}

/** fast-check parameters: seeded; on failure fast-check reports the seed and path that reproduce it. */
export function propertyParameters<T>(numRuns: number): fc.Parameters<T> {
  return { seed: propertySeed(), numRuns }
}

/** fc.record, but with Object.prototype, so generated values compare strictly equal to decoded ones. */
function plainRecord<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true })
}

export function bytesOf(length: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: length, maxLength: length })
}

export const arbitraryHash = bytesOf(32)
export const arbitraryPublicKey = bytesOf(32)
export const arbitrarySignature = bytesOf(64)

/** Safe integers, biased toward the edges the u64 encoding must get right. */
export const arbitrarySafeNat: fc.Arbitrary<number> = fc.oneof(
  fc.nat(1_000),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.maxSafeNat(),
)

export const arbitraryU64BigInt: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 1_000_000n }),
  fc.constantFrom(0n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
)

export const arbitraryValidatorIndex = fc.integer({ min: 0, max: validatorCountMax - 1 })

export const arbitraryChainId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('quorate-devnet', 'a', 'x'.repeat(64)),
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/),
)

/** Strictly increasing validator indices, as certificates require. */
export function arbitrarySigners(countMax = validatorCountMax): fc.Arbitrary<number[]> {
  return fc
    .uniqueArray(arbitraryValidatorIndex, { maxLength: countMax })
    .map((signers) => signers.sort((a, b) => a - b))
}

export const arbitraryTx: fc.Arbitrary<Tx> = plainRecord({
  chainId: arbitraryChainId,
  from: arbitraryPublicKey,
  nonce: arbitrarySafeNat,
  body: plainRecord({
    kind: fc.constant('transfer' as const),
    to: arbitraryPublicKey,
    amount: arbitraryU64BigInt,
  }),
  signature: arbitrarySignature,
})

export const arbitraryQC: fc.Arbitrary<QuorumCertificate> = arbitrarySigners().chain((signers) =>
  plainRecord({
    view: arbitrarySafeNat,
    blockHash: arbitraryHash,
    signers: fc.constant(signers),
    signatures: fc.array(arbitrarySignature, { minLength: signers.length, maxLength: signers.length }),
  }),
)

export const arbitraryTC: fc.Arbitrary<TimeoutCertificate> = arbitrarySigners().chain((signers) =>
  plainRecord({
    view: arbitrarySafeNat,
    signers: fc.constant(signers),
    highQCViews: fc.array(arbitrarySafeNat, { minLength: signers.length, maxLength: signers.length }),
    signatures: fc.array(arbitrarySignature, { minLength: signers.length, maxLength: signers.length }),
  }),
)

export const arbitraryBlockHeader: fc.Arbitrary<BlockHeader> = plainRecord({
  height: arbitrarySafeNat,
  view: arbitrarySafeNat,
  parentHash: arbitraryHash,
  justify: arbitraryQC,
  proposer: arbitraryValidatorIndex,
  timestampMs: arbitrarySafeNat,
  txRoot: arbitraryHash,
  stateRoot: arbitraryHash,
})

export function arbitraryBlock(txCountMax = 8): fc.Arbitrary<Block> {
  return plainRecord({
    header: arbitraryBlockHeader,
    txs: fc.array(arbitraryTx, { maxLength: Math.min(txCountMax, blockTxCountMax) }),
  })
}

export const arbitraryVote: fc.Arbitrary<Vote> = plainRecord({
  view: arbitrarySafeNat,
  blockHash: arbitraryHash,
  voter: arbitraryValidatorIndex,
  signature: arbitrarySignature,
})

export const arbitraryTimeout: fc.Arbitrary<Timeout> = plainRecord({
  view: arbitrarySafeNat,
  highQC: arbitraryQC,
  sender: arbitraryValidatorIndex,
  signature: arbitrarySignature,
})

export const arbitraryProposal: fc.Arbitrary<Proposal> = plainRecord({
  block: arbitraryBlock(),
  lastViewTC: fc.option(arbitraryTC, { nil: null }),
  signature: arbitrarySignature,
})

export const arbitraryConsensusMessage: fc.Arbitrary<ConsensusMessage> = fc.oneof(
  arbitraryProposal.map((proposal) => ({ kind: 'proposal' as const, proposal })),
  arbitraryVote.map((vote) => ({ kind: 'vote' as const, vote })),
  arbitraryTimeout.map((timeout) => ({ kind: 'timeout' as const, timeout })),
)

export const arbitrarySafetyState: fc.Arbitrary<SafetyState> = plainRecord({
  lastVotedView: arbitrarySafeNat,
  preferredView: arbitrarySafeNat,
  highQC: arbitraryQC,
  lastTimeout: fc.option(arbitraryTimeout, { nil: null }),
})

export const arbitraryAccount: fc.Arbitrary<Account> = plainRecord({
  balance: arbitraryU64BigInt,
  nonce: arbitrarySafeNat,
})

export const arbitraryReceipt: fc.Arbitrary<Receipt> = plainRecord({
  txHash: arbitraryHash,
  code: fc.constantFrom(...Object.values(ReceiptCode)),
  // Up to 64 code points of up to 4 UTF-8 bytes each: never over the 256-byte log limit.
  log: fc.oneof(
    fc.string({ maxLength: 64 }),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.constant('\u{feff}leading byte-order mark'),
  ),
})
