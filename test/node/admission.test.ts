// admitTx with real signed transfers, a real AccountsApp and TxVerifier: one test per AdmissionCode, the
// order in which the checks apply, randomized checks that no malformed or altered bytes are ever admitted, and
// that "already committed" is decided from memory: the tx index (isCommitted, a LevelDB read in the node) is
// read only for a tx whose nonce is used or at a failed nonce, and not committed recently.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type KeyPair, keyPairFromSecret, toHex } from '../../crypto/index.js'
import { AccountsApp } from '../../ledger/app/index.js'
import { DecodeError, decodeTx, encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import { txBytesMax } from '../../ledger/limits.js'
import { ReceiptCode, type Tx } from '../../ledger/types.js'
import { buildTransfer, txHashHex } from '../../node/client/transfer.js'
import { AdmissionCode, type AdmissionDeps, admitTx } from '../../node/mempool/admission.js'
import { CommittedTxIndex } from '../../node/mempool/committed-txs.js'
import { Mempool, type MempoolLimits } from '../../node/mempool/mempool.js'
import { TxVerifier } from '../../node/tx-verifier.js'
import { propertyParameters } from '../support/arbitraries.js'

const chainId = 'admission-test'
const alice = keyPairFromSecret(new Uint8Array(32).fill(0xa1))
const bob = keyPairFromSecret(new Uint8Array(32).fill(0xb0))
/** Alice has already committed nonces 0..2. */
const aliceCommitted = { balance: 1_000n, nonce: 3 }
const nonceGapMax = 4

function setup(limits: Partial<MempoolLimits> = {}) {
  const mempool = new Mempool({ txCountMax: 100, bytesMax: 1_048_576, nonceGapMax, ...limits })
  const app = AccountsApp.fromAccounts([{ address: alice.publicKey, account: aliceCommitted }])
  const txVerifier = new TxVerifier(chainId)
  /** The tx index on disk: hashes of committed txs, and how often admission read it. */
  const committed = new Set<string>()
  const reads = { count: 0 }
  /** The store's failed-nonce index: sender hex → highest nonce of a committed tx that failed. */
  const failedNonceMax = new Map<string, number>()
  const committedTxs = new CommittedTxIndex({
    failedNonceMax: (sender) => failedNonceMax.get(toHex(sender)) ?? -1,
  })
  const deps: AdmissionDeps = {
    chainId,
    mempool,
    app,
    txVerifier,
    committedTxs,
    isCommitted: async (hash) => {
      reads.count++
      return committed.has(toHex(hash))
    },
  }
  return {
    deps,
    mempool,
    committed,
    reads,
    failedNonceMax,
    committedTxs,
    txVerifier,
    admit: (bytes: Uint8Array) => admitTx(deps, bytes),
  }
}

interface TransferOptions {
  readonly amount?: bigint
  readonly chainId?: string
  readonly keyPair?: KeyPair
}

function transfer(nonce: number, options: TransferOptions = {}): Tx {
  return buildTransfer({
    chainId: options.chainId ?? chainId,
    keyPair: options.keyPair ?? alice,
    to: bob.publicKey,
    amount: options.amount ?? 10n,
    nonce,
  })
}

function withFlippedBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const copy = bytes.slice()
  copy[index]! ^= 1 << bit
  return copy
}

describe('admitTx', () => {
  it('admits a valid, funded transfer at the next nonce: code ok, its hash, the decoded tx, held by the mempool', async () => {
    const { admit, mempool } = setup()
    const tx = transfer(aliceCommitted.nonce)
    const bytes = encodeTx(tx)
    const result = await admit(bytes)
    expect(result).toEqual({ hashHex: txHashHex(tx), code: AdmissionCode.ok, log: '', tx })
    expect(mempool.has(txHashHex(tx))).toBe(true)
    expect(mempool.size).toBe(1)
    expect(mempool.bytes).toBe(bytes.length)
    expect(mempool.nextNonce(alice.publicKey, aliceCommitted)).toBe(aliceCommitted.nonce + 1)
  })

  it('admits a run of consecutive nonces and a later nonce inside the gap window', async () => {
    const { admit, mempool } = setup()
    for (const nonce of [3, 4, 5, aliceCommitted.nonce + nonceGapMax]) {
      expect((await admit(encodeTx(transfer(nonce)))).code).toBe(AdmissionCode.ok)
    }
    expect(mempool.size).toBe(4)
    expect(mempool.nextNonce(alice.publicKey, aliceCommitted)).toBe(6)
  })

  describe('malformed', () => {
    it('every strict prefix of a valid encoding is malformed, with no hash and no tx', async () => {
      const { admit, mempool } = setup()
      const bytes = encodeTx(transfer(aliceCommitted.nonce))
      for (let length = 0; length < bytes.length; length++) {
        const result = await admit(bytes.subarray(0, length))
        expect(result.code, `prefix of ${length} bytes`).toBe(AdmissionCode.malformed)
        expect(result.hashHex).toBeNull()
        expect(result.tx).toBeNull()
      }
      expect(mempool.size).toBe(0)
    })

    it('a valid encoding with a trailing byte is malformed', async () => {
      const { admit } = setup()
      const bytes = encodeTx(transfer(aliceCommitted.nonce))
      const padded = new Uint8Array(bytes.length + 1)
      padded.set(bytes)
      expect((await admit(padded)).code).toBe(AdmissionCode.malformed)
    })

    it('random bytes are malformed exactly when they do not decode, and never throw', async () => {
      const { admit, mempool } = setup()
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: txBytesMax }), async (bytes) => {
          let decodes = true
          try {
            decodeTx(bytes)
          } catch (error) {
            if (!(error instanceof DecodeError)) throw error
            decodes = false
          }
          const result = await admit(bytes)
          expect(result.code === AdmissionCode.malformed).toBe(!decodes)
          if (!decodes) expect(result).toMatchObject({ hashHex: null, tx: null })
        }),
        propertyParameters(300),
      )
      expect(mempool.size).toBe(0)
    })
  })

  it('tooLarge: anything over txBytesMax is refused before decoding', async () => {
    const { admit } = setup()
    expect((await admit(new Uint8Array(txBytesMax + 1))).code).toBe(AdmissionCode.tooLarge)
    // A valid tx padded past the limit is still too large (the size is checked first)...
    const padded = new Uint8Array(txBytesMax + 1)
    padded.set(encodeTx(transfer(aliceCommitted.nonce)))
    expect(await admit(padded)).toMatchObject({ code: AdmissionCode.tooLarge, hashHex: null, tx: null })
    // ...and exactly txBytesMax bytes are decoded (and here malformed), not refused for their size.
    expect((await admit(new Uint8Array(txBytesMax))).code).toBe(AdmissionCode.malformed)
  })

  it("wrongChain: a tx signed for another chain, with its hash, even if that chain's signature is valid", async () => {
    const { admit, mempool } = setup()
    const tx = transfer(aliceCommitted.nonce, { chainId: 'another-chain' })
    const result = await admit(encodeTx(tx))
    expect(result).toMatchObject({ code: AdmissionCode.wrongChain, hashHex: txHashHex(tx) })
    expect(mempool.size).toBe(0)
  })

  describe('badSignature', () => {
    it('a signature with one bit flipped is refused, and the tx is not held', async () => {
      const { admit, mempool } = setup()
      const tx = transfer(aliceCommitted.nonce)
      for (const [index, bit] of [
        [0, 0],
        [31, 7],
        [32, 0],
        [63, 3],
      ] as const) {
        const forged: Tx = { ...tx, signature: withFlippedBit(tx.signature, index, bit) }
        const result = await admit(encodeTx(forged))
        expect(result, `signature byte ${index} bit ${bit}`).toMatchObject({
          code: AdmissionCode.badSignature,
          hashHex: txHashHex(forged),
          tx: null,
        })
      }
      expect(mempool.size).toBe(0)
    })

    it("a tx from alice signed with bob's key is refused", async () => {
      const { admit } = setup()
      const signedByBob = transfer(aliceCommitted.nonce, { keyPair: bob })
      const claimedByAlice: Tx = { ...signedByBob, from: alice.publicKey }
      expect((await admit(encodeTx(claimedByAlice))).code).toBe(AdmissionCode.badSignature)
    })

    it('no single-bit change anywhere in a signed tx is admitted', async () => {
      const bytes = encodeTx(transfer(aliceCommitted.nonce))
      await fc.assert(
        fc.asyncProperty(fc.nat(bytes.length - 1), fc.nat(7), async (index, bit) => {
          const { admit, mempool } = setup()
          const result = await admit(withFlippedBit(bytes, index, bit))
          expect(result.code).not.toBe(AdmissionCode.ok)
          expect(mempool.size).toBe(0)
        }),
        propertyParameters(300),
      )
    })
  })

  it('alreadyPending: the same tx a second time, with its hash and tx, leaving one copy held', async () => {
    const { admit, mempool } = setup()
    const tx = transfer(aliceCommitted.nonce)
    expect((await admit(encodeTx(tx))).code).toBe(AdmissionCode.ok)
    const again = await admit(encodeTx(tx))
    expect(again).toMatchObject({ code: AdmissionCode.alreadyPending, hashHex: txHashHex(tx), tx })
    expect(mempool.size).toBe(1)
  })

  it('alreadyCommitted: a tx whose hash is committed, ahead of its (now stale) nonce', async () => {
    const { admit, committed, mempool } = setup()
    const tx = transfer(aliceCommitted.nonce - 1)
    committed.add(txHashHex(tx))
    expect(await admit(encodeTx(tx))).toMatchObject({
      code: AdmissionCode.alreadyCommitted,
      hashHex: txHashHex(tx),
      tx,
    })
    expect(mempool.size).toBe(0)
  })

  describe('badNonce', () => {
    it('a nonce beyond the gap window is refused', async () => {
      const { admit, mempool } = setup()
      const tx = transfer(aliceCommitted.nonce + nonceGapMax + 1)
      expect(await admit(encodeTx(tx))).toMatchObject({
        code: AdmissionCode.badNonce,
        hashHex: txHashHex(tx),
      })
      expect(mempool.size).toBe(0)
    })

    it('a nonce already taken by another pending tx is refused', async () => {
      const { admit, mempool } = setup()
      expect((await admit(encodeTx(transfer(aliceCommitted.nonce, { amount: 10n })))).code).toBe(
        AdmissionCode.ok,
      )
      const rival = transfer(aliceCommitted.nonce, { amount: 11n })
      expect((await admit(encodeTx(rival))).code).toBe(AdmissionCode.badNonce)
      expect(mempool.size).toBe(1)
    })

    // docs/rpc.md: "15 bad nonce (stale, taken or too far ahead)". admitTx asks AccountsApp.checkTx before the
    // mempool, and checkTx refuses a used nonce with ReceiptCode.badNonce, which admitTx maps to rejectedByApp
    // (18): the mempool's own 'stale-nonce' → badNonce path is never reached.
    it('a stale nonce (below the committed nonce, not itself committed) is refused as badNonce', async () => {
      const { admit, mempool } = setup()
      const stale = transfer(aliceCommitted.nonce - 1)
      const result = await admit(encodeTx(stale))
      expect(mempool.size).toBe(0)
      expect(result.code).toBe(AdmissionCode.badNonce)
    })
  })

  describe('alreadyCommitted is decided from memory; the tx index is read only when memory cannot tell', () => {
    /** What the committer tells the index once a block holding `txs` is on disk. */
    function commitInMemory(
      committedTxs: CommittedTxIndex,
      txs: readonly Tx[],
      code: ReceiptCode = ReceiptCode.ok,
    ) {
      committedTxs.beginCommit(txs.map(txHashHex))
      committedTxs.endCommit(txs.map((tx) => ({ txHash: txHash(tx), code, log: '' })))
    }

    it('no read on the common path: fresh txs, accepted or refused for funds, gap, taken nonce, full or pending', async () => {
      const { admit, reads } = setup({ txCountMax: 3 })
      const codes: number[] = []
      for (const tx of [
        transfer(aliceCommitted.nonce),
        transfer(aliceCommitted.nonce), // the same again: pending
        transfer(aliceCommitted.nonce, { amount: 11n }), // another tx at a taken nonce
        transfer(aliceCommitted.nonce + 1, { amount: aliceCommitted.balance + 1n }), // unfunded
        transfer(aliceCommitted.nonce + nonceGapMax + 1), // too far ahead
        transfer(aliceCommitted.nonce + 1),
        transfer(aliceCommitted.nonce + 2),
        transfer(aliceCommitted.nonce + 3), // the mempool holds 3
        transfer(0, { keyPair: bob, amount: 1n }), // no account
      ]) {
        codes.push((await admit(encodeTx(tx))).code)
      }
      expect(codes).toEqual([
        AdmissionCode.ok,
        AdmissionCode.alreadyPending,
        AdmissionCode.badNonce,
        AdmissionCode.rejectedByApp,
        AdmissionCode.badNonce,
        AdmissionCode.ok,
        AdmissionCode.ok,
        AdmissionCode.mempoolFull,
        AdmissionCode.rejectedByApp,
      ])
      expect(reads.count).toBe(0)
    })

    it('a tx committed recently, resubmitted: alreadyCommitted from memory, executed or failed', async () => {
      const { admit, reads, committedTxs, failedNonceMax } = setup()
      const executed = transfer(aliceCommitted.nonce - 1)
      const failed = transfer(aliceCommitted.nonce, { amount: aliceCommitted.balance + 1n })
      commitInMemory(committedTxs, [executed])
      commitInMemory(committedTxs, [failed], ReceiptCode.insufficientFunds)
      failedNonceMax.set(toHex(alice.publicKey), aliceCommitted.nonce)
      for (const tx of [executed, failed]) {
        expect(await admit(encodeTx(tx))).toMatchObject({
          code: AdmissionCode.alreadyCommitted,
          hashHex: txHashHex(tx),
        })
      }
      expect(reads.count).toBe(0)
    })

    it('after a restart (nothing recent in memory) a committed tx resubmitted is alreadyCommitted, read once', async () => {
      const { admit, reads, committed } = setup()
      const executed = transfer(aliceCommitted.nonce - 2)
      committed.add(txHashHex(executed))
      expect((await admit(encodeTx(executed))).code).toBe(AdmissionCode.alreadyCommitted)
      expect(reads.count).toBe(1)
    })

    it('a stale nonce never committed is badNonce, after one read', async () => {
      const { admit, reads, committed } = setup()
      committed.add(txHashHex(transfer(aliceCommitted.nonce - 1)))
      const rival = transfer(aliceCommitted.nonce - 1, { amount: 11n })
      expect(await admit(encodeTx(rival))).toMatchObject({
        code: AdmissionCode.badNonce,
        hashHex: txHashHex(rival),
      })
      expect(reads.count).toBe(1)
    })

    // A failed tx is committed but leaves its sender's nonce as it was (ledger/app): its nonce alone does not
    // tell, so the failed-nonce index sends every tx at or below the failed nonce to the tx index.
    it('a committed tx that failed, resubmitted after a restart: alreadyCommitted, though its nonce is unused', async () => {
      const { admit, reads, committed, failedNonceMax, mempool } = setup()
      const failed = transfer(aliceCommitted.nonce, { amount: 20n })
      committed.add(txHashHex(failed))
      failedNonceMax.set(toHex(alice.publicKey), aliceCommitted.nonce)
      expect((await admit(encodeTx(failed))).code).toBe(AdmissionCode.alreadyCommitted)
      expect(reads.count).toBe(1)
      // Another tx at that nonce was never committed: it is read too, and admitted.
      expect((await admit(encodeTx(transfer(aliceCommitted.nonce)))).code).toBe(AdmissionCode.ok)
      expect(reads.count).toBe(2)
      // Above the failed nonce memory tells again.
      expect((await admit(encodeTx(transfer(aliceCommitted.nonce + 1)))).code).toBe(AdmissionCode.ok)
      expect(reads.count).toBe(2)
      expect(mempool.size).toBe(2)
    })

    it('a tx of a block being written is read from the tx index (memory cannot tell until the write lands)', async () => {
      const { admit, reads, committed, committedTxs } = setup()
      const tx = transfer(aliceCommitted.nonce)
      committed.add(txHashHex(tx))
      committedTxs.beginCommit([txHashHex(tx)])
      expect((await admit(encodeTx(tx))).code).toBe(AdmissionCode.alreadyCommitted)
      expect(reads.count).toBe(1)
    })
  })

  describe('mempoolFull', () => {
    it('refused once txCountMax transactions are held', async () => {
      const { admit, mempool } = setup({ txCountMax: 1 })
      expect((await admit(encodeTx(transfer(3)))).code).toBe(AdmissionCode.ok)
      const tx = transfer(4)
      expect(await admit(encodeTx(tx))).toMatchObject({
        code: AdmissionCode.mempoolFull,
        hashHex: txHashHex(tx),
      })
      expect(mempool.size).toBe(1)
    })

    it('refused when the tx would take the mempool past bytesMax', async () => {
      const { admit, mempool } = setup({ bytesMax: 100 })
      const bytes = encodeTx(transfer(3))
      expect(bytes.length).toBeGreaterThan(100)
      expect((await admit(bytes)).code).toBe(AdmissionCode.mempoolFull)
      expect(mempool.bytes).toBe(0)
    })
  })

  describe('rejectedByApp', () => {
    it('an amount above the committed balance', async () => {
      const { admit, mempool } = setup()
      const tx = transfer(aliceCommitted.nonce, { amount: aliceCommitted.balance + 1n })
      const result = await admit(encodeTx(tx))
      expect(result).toMatchObject({ code: AdmissionCode.rejectedByApp, hashHex: txHashHex(tx) })
      expect(result.log).toMatch(/balance/)
      expect(mempool.size).toBe(0)
    })

    it('a zero amount (buildTransfer signs it; the app refuses it)', async () => {
      const { admit } = setup()
      const result = await admit(encodeTx(transfer(aliceCommitted.nonce, { amount: 0n })))
      expect(result.code).toBe(AdmissionCode.rejectedByApp)
      expect(result.log).toMatch(/amount/)
    })

    it('a sender with no account (balance 0)', async () => {
      const { admit } = setup()
      const result = await admit(encodeTx(transfer(0, { keyPair: bob, amount: 1n })))
      expect(result.code).toBe(AdmissionCode.rejectedByApp)
    })
  })

  describe('order of the checks', () => {
    it('wrongChain is decided before the signature is looked at', async () => {
      const { admit } = setup()
      const tx = transfer(aliceCommitted.nonce, { chainId: 'another-chain' })
      const forged: Tx = { ...tx, signature: withFlippedBit(tx.signature, 0) }
      expect((await admit(encodeTx(forged))).code).toBe(AdmissionCode.wrongChain)
    })

    it('badSignature is decided before the app sees the tx (an unfunded forged tx is a bad signature)', async () => {
      const { admit } = setup()
      const tx = transfer(aliceCommitted.nonce, { amount: aliceCommitted.balance + 1n })
      const forged: Tx = { ...tx, signature: withFlippedBit(tx.signature, 0) }
      expect((await admit(encodeTx(forged))).code).toBe(AdmissionCode.badSignature)
    })

    it('rejectedByApp is decided before the mempool limits', async () => {
      const { admit } = setup({ txCountMax: 0 })
      const tx = transfer(aliceCommitted.nonce, { amount: aliceCommitted.balance + 1n })
      expect((await admit(encodeTx(tx))).code).toBe(AdmissionCode.rejectedByApp)
    })
  })

  describe('signature verification happens once per tx', () => {
    // The TxVerifier's cache is keyed by the tx hash, which covers the signature, so the node never presents a
    // different tx under a cached hash. Doing exactly that here shows, without timing, that a cached hash is
    // answered from the cache rather than verified again.
    it('after admission, the verifier answers for that hash without verifying the signature again', async () => {
      const { admit, txVerifier } = setup()
      const tx = transfer(aliceCommitted.nonce)
      const { hashHex } = await admit(encodeTx(tx))
      const forged: Tx = { ...tx, signature: withFlippedBit(tx.signature, 0) }
      expect(txVerifier.verifySync(forged, hashHex!)).toBe(true)
      expect(await txVerifier.verifyAsync(forged, hashHex!)).toBe(true)
      // A verifier that never saw the hash does verify, and refuses the forgery.
      expect(new TxVerifier(chainId).verifySync(forged, hashHex!)).toBe(false)
    })

    it('a failed verification is not cached: the forgery is refused every time', async () => {
      const { admit, txVerifier } = setup()
      const tx = transfer(aliceCommitted.nonce)
      const forged: Tx = { ...tx, signature: withFlippedBit(tx.signature, 0) }
      expect((await admit(encodeTx(forged))).code).toBe(AdmissionCode.badSignature)
      expect((await admit(encodeTx(forged))).code).toBe(AdmissionCode.badSignature)
      expect(txVerifier.verifySync(forged, txHashHex(forged))).toBe(false)
      // And the genuine tx is still admitted afterwards.
      expect((await admit(encodeTx(tx))).code).toBe(AdmissionCode.ok)
    })

    it('the cache never bypasses the chain id check', async () => {
      const { admit, txVerifier } = setup()
      const tx = transfer(aliceCommitted.nonce)
      const { hashHex } = await admit(encodeTx(tx))
      const otherChain: Tx = { ...tx, chainId: 'another-chain' }
      expect(txVerifier.verifySync(otherChain, hashHex!)).toBe(false)
      expect(await txVerifier.verifyAsync(otherChain, hashHex!)).toBe(false)
    })

    it('verifySync and verifyAsync agree on valid and forged transactions', async () => {
      const tx = transfer(aliceCommitted.nonce)
      const forged: Tx = { ...tx, signature: withFlippedBit(tx.signature, 5) }
      expect(new TxVerifier(chainId).verifySync(tx, txHashHex(tx))).toBe(true)
      expect(await new TxVerifier(chainId).verifyAsync(tx, txHashHex(tx))).toBe(true)
      expect(new TxVerifier(chainId).verifySync(forged, txHashHex(forged))).toBe(false)
      expect(await new TxVerifier(chainId).verifyAsync(forged, txHashHex(forged))).toBe(false)
    })
  })
})
