import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex, readKeyFile } from '../../crypto/index.js'
import { buildTransfer, txToHex } from '../../node/client/transfer.js'
import { rpcCall } from '../../node/rpc/client.js'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { freeBasePort } from '../support/free-ports.js'
import { checkAgreementUpTo, status, waitFor } from '../support/rpc-checks.js'

const transfersPerAccount = 60
const accountCount = 4

describe('a 4-validator network of real processes over libp2p and LevelDB', () => {
  let testnet: RunningTestnet
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-e2e-'))
    testnet = await startTestnet({
      dir,
      // These checks count blocks, not only transfers: empty blocks keep the chain moving between them.
      createEmptyBlocks: true,
      validators: 4,
      accounts: accountCount,
      basePort: await freeBasePort(4),
    })
  }, 90_000)

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('commits 240 transfers exactly once, with agreement and conserved balances, then survives a SIGKILL', async () => {
    const { info } = testnet
    const rpcs = info.validators.map((v) => v.rpc)
    const accounts = await Promise.all(
      info.accounts.map(async (a) => ({ ...a, keys: await readKeyFile(a.key_file) })),
    )

    // Each account sends its transfers in nonce order, round-robin through the validators.
    const acknowledged: string[] = []
    await Promise.all(
      accounts.map(async (account, a) => {
        for (let nonce = 0; nonce < transfersPerAccount; nonce++) {
          const to = accounts[(a + 1 + (nonce % (accountCount - 1))) % accountCount]!
          const tx = buildTransfer({
            chainId: info.chain_id,
            keyPair: account.keys,
            to: fromHex(to.address, 32),
            amount: BigInt(1 + nonce),
            nonce,
          })
          const rpc = rpcs[(a + nonce) % rpcs.length]!
          const result = await rpcCall<{ hash: string; code: number; log: string }>(
            rpc,
            'broadcast_tx_sync',
            {
              tx: txToHex(tx),
            },
          )
          expect(result.code, result.log).toBe(0)
          acknowledged.push(result.hash)
        }
      }),
    )
    expect(acknowledged.length).toBe(accountCount * transfersPerAccount)

    // Every acknowledged transfer commits, with a success receipt.
    await waitFor('all transfers to commit', async () => {
      for (const hash of acknowledged) await rpcCall(rpcs[0]!, 'tx', { hash })
      return true
    })
    const top = Math.min(...(await Promise.all(rpcs.map(async (rpc) => (await status(rpc)).height))))
    const blocks = await checkAgreementUpTo(rpcs, top)

    // Exactly once: each acknowledged hash appears in exactly one committed block.
    const appearances = new Map<string, number>()
    for (const block of blocks)
      for (const tx of block.txs) appearances.set(tx.hash, (appearances.get(tx.hash) ?? 0) + 1)
    for (const hash of acknowledged) expect(appearances.get(hash), hash).toBe(1)
    for (const hash of acknowledged.slice(0, 20)) {
      const receipt = await rpcCall<{ code: number }>(rpcs[1]!, 'tx', { hash })
      expect(receipt.code).toBe(0)
    }

    // Conservation: the funded accounts only paid each other.
    for (const rpc of rpcs) {
      const balances = await Promise.all(
        accounts.map(async (a) =>
          BigInt((await rpcCall<{ balance: string }>(rpc, 'account', { address: a.address })).balance),
        ),
      )
      const initial = accounts.reduce((sum, a) => sum + BigInt(a.balance), 0n)
      expect(balances.reduce((sum, b) => sum + b, 0n)).toBe(initial)
    }

    // SIGKILL validator 1: the other three keep committing. Its views time out until leader election passes it
    // over (its last block two rotations old), then go to validator 2, the next active one.
    const killed = info.validators[1]!
    const killedAtMs = Date.now()
    process.kill(killed.pid, 'SIGKILL')
    const survivors = rpcs.filter((_, i) => i !== 1)
    const heightAtKill = (await status(survivors[0]!)).height
    await waitFor(
      '20 more blocks on every survivor',
      async () => {
        const heights = await Promise.all(survivors.map(async (rpc) => (await status(rpc)).height))
        return heights.every((h) => h >= heightAtKill + 20)
      },
      90_000,
    )
    const newTop = Math.min(...(await Promise.all(survivors.map(async (rpc) => (await status(rpc)).height))))
    // Blocks proposed after the kill (earlier ones of validator 1 may still commit after it).
    const after = (await checkAgreementUpTo(survivors, newTop)).filter(
      (b) => b.timestamp_ms > killedAtMs + 100,
    )
    expect(after.length).toBeGreaterThan(10)
    expect(after.every((b) => b.proposer !== 1)).toBe(true)
    expect(after.some((b) => b.view % 4 === 2 && b.view > 0)).toBe(true)
    const itsViews = after.filter((b) => b.view % 4 === 1)
    expect(itsViews.length).toBeGreaterThan(0)
    expect(itsViews.every((b) => b.proposer === 2)).toBe(true)
  }, 240_000)
})
