// Transactions in, over a real validator on LevelDB: check_tx answers what broadcast_tx_sync would and adds
// nothing; unconfirmed_txs lists a bounded page of the mempool with its totals; broadcast_tx_async answers after
// decoding, and the admission it leaves running is counted when it rejects and logged and counted when it fails.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { AdmissionCode } from '../../node/mempool/admission.js'
import { RpcErrorCode } from '../../node/rpc/errors.js'
import { unconfirmedTxsLimitMax } from '../../node/rpc/mempool-methods.js'
import { waitFor } from '../support/rpc-checks.js'
import {
  rpcError,
  type SignedTransfer,
  type SingleValidatorChain,
  startSingleValidator,
} from './single-validator.js'

interface AdmissionAnswer {
  readonly hash: string | null
  readonly code: number
  readonly log: string
}

let node: SingleValidatorChain
/** Client 2's nonces 5 to 9: a gap after its committed nonce 0, so they wait in the mempool for good. */
let waiting: SignedTransfer[]

beforeAll(async () => {
  node = await startSingleValidator(23, 4)
  waiting = [5, 6, 7, 8, 9].map((nonce) => node.transfer(2, nonce))
  for (const transfer of waiting) {
    expect(await node.call<AdmissionAnswer>('broadcast_tx_sync', { tx: transfer.hex })).toMatchObject({
      code: 0,
    })
  }
  await node.commitTransfers([node.transfer(0, 0), node.transfer(1, 0)])
}, 60_000)

afterAll(async () => {
  await node?.close()
})

async function admissionCount(result: string): Promise<number> {
  const values = (await node.metrics.txAdmissions.get()).values
  return values.find((value) => value.labels.result === result)?.value ?? 0
}

describe('unconfirmed_txs', () => {
  it('lists pending transactions, oldest first, as sent and decoded, with the totals', async () => {
    const answer = await node.call<{
      n_txs: number
      total: number
      total_bytes: number
      txs: Array<{ hash: string; tx: string; decoded: { nonce: number } }>
    }>('unconfirmed_txs', { limit: 3 })
    expect(answer.n_txs).toBe(3)
    expect(answer.total).toBe(waiting.length)
    expect(answer.total_bytes).toBe(waiting.reduce((sum, transfer) => sum + transfer.hex.length / 2, 0))
    expect(answer.txs.map(({ hash, tx }) => ({ hash, tx }))).toEqual(
      waiting.slice(0, 3).map(({ hash, hex }) => ({ hash, tx: hex })),
    )
    expect(answer.txs.map((tx) => tx.decoded.nonce)).toEqual([5, 6, 7])
    const all = await node.call<{ n_txs: number }>('unconfirmed_txs')
    expect(all.n_txs).toBe(waiting.length)
  })

  it(`a limit outside 1..${unconfirmedTxsLimitMax}: -32602 naming \`limit\``, async () => {
    for (const limit of [0, unconfirmedTxsLimitMax + 1]) {
      expect(await rpcError(node.call('unconfirmed_txs', { limit }))).toEqual({
        code: RpcErrorCode.invalidParams,
        message: `limit: expected an integer from 1 to ${unconfirmedTxsLimitMax}, got ${limit}`,
      })
    }
    expect(await rpcError(node.call('unconfirmed_txs', { limit: 'ten' }))).toEqual({
      code: RpcErrorCode.invalidParams,
      message: 'limit: expected a non-negative integer',
    })
  })
})

describe('check_tx', () => {
  const otherChainTx = () =>
    toHex(
      encodeTx(
        buildTransfer({
          chainId: 'other-chain',
          keyPair: node.chain.clientKeys[3]!,
          to: node.chain.clientKeys[0]!.publicKey,
          amount: 1n,
          nonce: 0,
        }),
      ),
    )
  const badSignature = () => {
    const { tx } = node.transfer(3, 0)
    const signature = tx.signature.slice()
    signature[0]! ^= 1
    return toHex(encodeTx({ ...tx, signature }))
  }
  const cases: Array<{ what: string; tx: () => string; code: number }> = [
    { what: 'malformed', tx: () => '00', code: AdmissionCode.malformed },
    { what: 'for another chain', tx: otherChainTx, code: AdmissionCode.wrongChain },
    { what: 'badly signed', tx: badSignature, code: AdmissionCode.badSignature },
    { what: 'already committed', tx: () => node.transfer(0, 0).hex, code: AdmissionCode.alreadyCommitted },
    { what: 'already pending', tx: () => waiting[1]!.hex, code: AdmissionCode.alreadyPending },
    { what: 'a used nonce', tx: () => node.transfer(0, 0, 99n).hex, code: AdmissionCode.badNonce },
    { what: 'a nonce too far ahead', tx: () => node.transfer(3, 65).hex, code: AdmissionCode.badNonce },
    {
      what: 'a nonce another pending tx holds',
      tx: () => node.transfer(2, 7, 99n).hex,
      code: AdmissionCode.badNonce,
    },
    {
      what: 'more than the balance',
      tx: () => node.transfer(3, 0, 10n ** 12n).hex,
      code: AdmissionCode.rejectedByApp,
    },
    { what: 'admissible', tx: () => node.transfer(3, 0).hex, code: AdmissionCode.ok },
  ]

  for (const { what, tx, code } of cases) {
    it(`${what}: code ${code}, as broadcast_tx_sync answers, and the mempool unchanged`, async () => {
      const bytes = tx()
      const before = await node.call<{ n_txs: number }>('num_unconfirmed_txs')
      const checked = await node.call<AdmissionAnswer>('check_tx', { tx: bytes })
      expect(checked.code).toBe(code)
      expect(await node.call('num_unconfirmed_txs')).toEqual(expect.objectContaining({ n_txs: before.n_txs }))
      const submitted = await node.call<AdmissionAnswer>('broadcast_tx_sync', { tx: bytes })
      expect(checked).toEqual(submitted)
    })
  }

  it('a tx that is not hex: -32602 naming `tx`', async () => {
    expect(await rpcError(node.call('check_tx', { tx: 'xyz' }))).toEqual({
      code: RpcErrorCode.invalidParams,
      message: 'tx: not an even-length hex string',
    })
  })
})

describe('broadcast_tx_async', () => {
  it('answers the hash with code 0; the admission goes on and the transfer commits', async () => {
    const transfer = node.transfer(1, 1)
    expect(await node.call('broadcast_tx_async', { tx: transfer.hex })).toEqual({
      hash: transfer.hash,
      code: 0,
      log: '',
    })
    await waitFor('the async transfer to commit', async () => {
      await node.call('tx', { hash: transfer.hash })
      return true
    })
  })

  it('what does not decode is refused at once (malformed, another chain)', async () => {
    expect(await node.call<AdmissionAnswer>('broadcast_tx_async', { tx: '00' })).toMatchObject({
      hash: null,
      code: AdmissionCode.malformed,
    })
    const wrongChain = buildTransfer({
      chainId: 'other-chain',
      keyPair: node.chain.clientKeys[1]!,
      to: node.chain.clientKeys[0]!.publicKey,
      amount: 1n,
      nonce: 0,
    })
    expect(
      await node.call<AdmissionAnswer>('broadcast_tx_async', { tx: toHex(encodeTx(wrongChain)) }),
    ).toMatchObject({ code: AdmissionCode.wrongChain })
  })

  it('a bad signature is found in the background: counted as rejected, never pending', async () => {
    const { tx } = node.transfer(1, 2)
    const signature = tx.signature.slice()
    signature[5]! ^= 1
    const bytes = toHex(encodeTx({ ...tx, signature }))
    const rejectedBefore = await admissionCount(`rejected-${AdmissionCode.badSignature}`)
    const answer = await node.call<AdmissionAnswer>('broadcast_tx_async', { tx: bytes })
    expect(answer.code).toBe(0)
    await waitFor('the background rejection', async () => {
      return (await admissionCount(`rejected-${AdmissionCode.badSignature}`)) === rejectedBefore + 1
    })
    expect(node.validator.mempool.has(answer.hash!)).toBe(false)
  })

  it('an admission that fails (the journal write) is logged and counted, not left unhandled', async () => {
    const journal = vi.spyOn(node.ledger, 'saveMempoolTxs').mockRejectedValueOnce(new Error('disk full'))
    try {
      const transfer = node.transfer(1, 2)
      expect(await node.call('broadcast_tx_async', { tx: transfer.hex })).toMatchObject({ code: 0 })
      await waitFor('the failure to be logged', async () => node.errors.length > 0)
      expect(node.errors[0]!.message).toBe('admission of a broadcast_tx_async transaction failed')
      expect(await admissionCount('error')).toBe(1)
      // The failed admission left nothing behind: the same bytes are admitted when sent again.
      expect(node.validator.mempool.has(transfer.hash)).toBe(false)
      expect(await node.call('broadcast_tx_sync', { tx: transfer.hex })).toMatchObject({ code: 0 })
    } finally {
      journal.mockRestore()
    }
  })
})
