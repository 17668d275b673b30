import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateKeyPair, type KeyPair, verify } from '../../crypto/ed25519.js'
import { fromHex, toHex } from '../../crypto/hex.js'
import { writeKeyFile } from '../../crypto/keyfile.js'
import { decodeTx } from '../../ledger/codec/index.js'
import { txSigningBytes } from '../../ledger/hashing.js'
import type { Tx } from '../../ledger/types.js'
import {
  CliError,
  CommitNotSeenError,
  exitCodeOf,
  exitCodes,
  userFacingMessage,
} from '../../node/cli/errors.js'
import { transfer } from '../../node/cli/tx.js'
import { buildTransfer, txHashHex, txToHex } from '../../node/client/transfer.js'
import { invalidParams, RpcError } from '../../node/rpc/errors.js'
import { RpcServer } from '../../node/rpc/server.js'

const chainId = 'quorate-test'

describe('buildTransfer', () => {
  it('signs the domain-tagged signing bytes with the sender key', () => {
    const sender = generateKeyPair()
    const to = generateKeyPair().publicKey
    const tx = buildTransfer({ chainId, keyPair: sender, to, amount: 25n, nonce: 3 })
    expect(tx).toMatchObject({
      chainId,
      from: sender.publicKey,
      nonce: 3,
      body: { kind: 'transfer', to, amount: 25n },
    })
    expect(verify(tx.signature, txSigningBytes(tx), sender.publicKey)).toBe(true)
  })

  it('renders hex that decodes back to the same transaction', () => {
    const tx = buildTransfer({
      chainId,
      keyPair: generateKeyPair(),
      to: generateKeyPair().publicKey,
      amount: 1n,
      nonce: 0,
    })
    expect(decodeTx(fromHex(txToHex(tx)))).toEqual(tx)
    expect(txHashHex(tx)).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('quorate tx transfer', () => {
  let dir: string
  let server: RpcServer
  let sender: KeyPair
  let keyFile: string
  let received: { method: string; tx: Tx }[]
  let account: Record<string, unknown>
  let broadcastAnswer: Record<string, unknown>
  const recipient = toHex(generateKeyPair().publicKey)

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-tx-'))
    sender = generateKeyPair()
    keyFile = join(dir, 'sender.json')
    await writeKeyFile(keyFile, sender)
    received = []
    account = { address: toHex(sender.publicKey), balance: '1000', nonce: 4, next_nonce: 6 }
    broadcastAnswer = { code: 0, log: '' }
    const broadcast = (method: string) => async (params: unknown) => {
      const hex = (params as { tx?: unknown }).tx
      if (typeof hex !== 'string') throw invalidParams('tx: expected hex')
      const tx = decodeTx(fromHex(hex))
      received.push({ method, tx })
      return {
        hash: txHashHex(tx),
        ...broadcastAnswer,
        ...(method === 'broadcast_tx_commit' ? { height: 12 } : {}),
      }
    }
    server = await RpcServer.create({
      port: 0,
      methods: {
        status: async () => ({ node_id: 'x', chain_id: chainId, height: 1, view: 1 }),
        account: async () => account,
        broadcast_tx_sync: broadcast('broadcast_tx_sync'),
        broadcast_tx_commit: broadcast('broadcast_tx_commit'),
      },
      logger: { error: () => {} },
    })
  })

  afterEach(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })

  const options = (extra: Partial<Parameters<typeof transfer>[0]> = {}) => ({
    rpc: server.url,
    from: keyFile,
    to: recipient,
    amount: '100',
    ...extra,
  })

  it("uses the node's next_nonce and chain id, and broadcasts a valid signed transfer", async () => {
    const result = await transfer(options())
    expect(received).toHaveLength(1)
    const { method, tx } = received[0]!
    expect(method).toBe('broadcast_tx_sync')
    expect(tx).toMatchObject({ chainId, nonce: 6, from: sender.publicKey, body: { amount: 100n } })
    expect(toHex(tx.body.to)).toBe(recipient)
    expect(verify(tx.signature, txSigningBytes(tx), sender.publicKey)).toBe(true)
    expect(result).toEqual({
      hash: txHashHex(tx),
      code: 0,
      log: '',
      from: toHex(sender.publicKey),
      to: recipient,
      amount: '100',
      nonce: 6,
    })
  })

  it('tx sign: signs the same transfer but sends nothing, printing the hex to broadcast', async () => {
    const result = await transfer(options({ signOnly: true }))
    expect(received).toHaveLength(0)
    const tx = decodeTx(fromHex(result.tx!))
    expect(tx).toMatchObject({ chainId, nonce: 6, from: sender.publicKey, body: { amount: 100n } })
    expect(verify(tx.signature, txSigningBytes(tx), sender.publicKey)).toBe(true)
    expect(result.hash).toBe(txHashHex(tx))
  })

  it('falls back to the committed nonce when the node reports no next_nonce', async () => {
    account = { address: toHex(sender.publicKey), balance: '1000', nonce: 4 }
    expect((await transfer(options())).nonce).toBe(4)
  })

  it('uses --nonce as given', async () => {
    expect((await transfer(options({ nonce: '0' }))).nonce).toBe(0)
  })

  it('waits for the commit with --wait and reports the height', async () => {
    const result = await transfer(options({ wait: true }))
    expect(received[0]?.method).toBe('broadcast_tx_commit')
    expect(result.height).toBe(12)
  })

  it("reports the node's rejection code and log", async () => {
    broadcastAnswer = { code: 1, log: 'nonce 6 already used' }
    expect(await transfer(options())).toMatchObject({ code: 1, log: 'nonce 6 already used' })
  })

  it.each([
    ['a short address', { to: 'abcd' }, /--to: expected an address of 64 hex/],
    [
      'an address that is not a public key',
      { to: `${'ff'.repeat(31)}7f` },
      /--to: .* not a valid Ed25519 public key/,
    ],
    ['a negative amount', { amount: '-5' }, /--amount: expected a whole number/],
    ['a zero amount', { amount: '0' }, /--amount: must be greater than 0/],
    ['an amount over u64', { amount: (2n ** 64n).toString() }, /--amount: must be at most/],
    ['a fractional amount', { amount: '1.5' }, /--amount: expected a whole number/],
    ['a bad nonce', { nonce: 'x' }, /--nonce: expected a whole number/],
    ['a bad RPC URL', { rpc: 'localhost:26601' }, /--rpc: expected an http/],
  ])('refuses %s with a clear CliError and sends nothing', async (_name, extra, message) => {
    const error = await transfer(options(extra)).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CliError)
    expect(userFacingMessage(error)).toMatch(message)
    expect(exitCodeOf(error)).toBe(exitCodes.badInput)
    expect(received).toEqual([])
  })

  it('says a --wait transfer was sent but not seen committed when the wait times out', async () => {
    await server.close()
    server = await RpcServer.create({
      port: 0,
      methods: {
        status: async () => ({ chain_id: chainId }),
        account: async () => account,
        broadcast_tx_commit: async () => {
          throw new RpcError(-32001, 'not committed within 30000 ms')
        },
      },
      logger: { error: () => {} },
    })
    const error = await transfer(options({ wait: true })).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CommitNotSeenError)
    expect(userFacingMessage(error)).toMatch(
      /transfer [0-9a-f]{64} \(nonce 6\) was sent, but no commit was seen.*quorate tx [0-9a-f]{64}/,
    )
    // The node answered (with an error): not "unreachable".
    expect(exitCodeOf(error)).toBe(exitCodes.failure)
  })

  it('names a missing key file and how to create one', async () => {
    const error = await transfer(options({ from: join(dir, 'missing.json') })).catch(
      (caught: unknown) => caught,
    )
    expect(userFacingMessage(error)).toMatch(/does not exist; create one with: quorate keys new/)
  })

  it('says when the RPC server cannot be reached', async () => {
    const url = server.url
    await server.close()
    const error = await transfer(options({ rpc: url })).catch((caught: unknown) => caught)
    expect(userFacingMessage(error)).toMatch(/cannot reach the RPC server \(ECONNREFUSED\)/)
    expect(exitCodeOf(error)).toBe(exitCodes.unreachable)
  })
})
