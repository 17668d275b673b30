// The typed client SDK as an application imports it (`quorate/client`, the package's own export, built into
// dist/) against a real testnet: queries, a signed transfer waited for by subscription, a commit that happened
// before the wait, a rejected transaction, and new-block events.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type NewBlockEvent, QuorateClient, readKeyFile, TxRejectedError, txHashHex } from 'quorate/client'
import { afterAll, describe, expect, it } from 'vitest'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { freeBasePort } from '../support/free-ports.js'

describe('quorate/client against a real testnet', () => {
  let testnet: RunningTestnet | undefined
  let client: QuorateClient | undefined
  let dir: string | undefined

  afterAll(async () => {
    client?.close()
    await testnet?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('queries, transfers and waits by subscription, refuses a bad transaction, and streams blocks', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-sdk-'))
    testnet = await startTestnet({ dir, validators: 4, accounts: 2, basePort: await freeBasePort(4) })
    const { info } = testnet
    client = new QuorateClient({ url: info.validators[2]!.rpc })
    const sender = await readKeyFile(info.accounts[0]!.key_file)
    const recipient = info.accounts[1]!.address

    const status = await client.status()
    expect(status.chain_id).toBe(info.chain_id)
    expect(await client.validators()).toHaveLength(4)
    const before = await client.account(recipient)
    expect(typeof before.balance).toBe('bigint')

    const blocks: NewBlockEvent[] = []
    const subscription = await client.subscribeBlocks((block) => blocks.push(block))

    const committed = await client.transfer({ keyPair: sender, to: recipient, amount: 5n })
    expect(committed.code).toBe(0)
    expect(committed.height).toBeGreaterThan(0)
    expect((await client.account(recipient)).balance).toBe(before.balance + 5n)
    const block = await client.block(committed.height)
    expect(block.height).toBe(committed.height)
    expect(block.txs.length).toBeGreaterThanOrEqual(1)
    // Waiting for a commit that already happened answers at once (subscribe first, then look it up).
    expect(await client.waitForCommit(committed.hash, 2_000)).toEqual(committed)

    const stale = await client.signTransfer({ keyPair: sender, to: recipient, amount: 1n, nonce: 0 })
    const refused = await client.submit(stale).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(TxRejectedError)
    expect((refused as TxRejectedError).hash).toBe(txHashHex(stale))

    const second = await client.transfer({ keyPair: sender, to: recipient, amount: 1n })
    await expect
      .poll(() => blocks.some((event) => event.height === second.height), { timeout: 5_000 })
      .toBe(true)
    await subscription.close()
  }, 120_000)
})
