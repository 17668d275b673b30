import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rpcCall } from '../../node/rpc/client.js'
import { defaultCliPath, type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { Prng } from '../sim/prng.js'
import { freeBasePort } from '../support/free-ports.js'
import { TransferLoad } from '../support/load.js'
import { blockAt, checkAgreementUpTo, status, waitFor } from '../support/rpc-checks.js'

/** `npm test` runs a short form; `npm run test:soak` sets QUORATE_SOAK_KILLS=25. */
const killCount = Number(process.env.QUORATE_SOAK_KILLS ?? 5)
const seed = Number(process.env.QUORATE_SEED ?? Date.now() % 1_000_000)

describe(`crash recovery under load: ${killCount} SIGKILLs of random validators at random moments (seed ${seed})`, () => {
  let testnet: RunningTestnet
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-crash-'))
    testnet = await startTestnet({ dir, validators: 4, accounts: 4, basePort: await freeBasePort(4) })
  }, 90_000)

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('loses no committed block, never double-signs, commits every acknowledged transfer once, and agrees', async () => {
    const replay = `reproduce with QUORATE_SEED=${seed}`
    const prng = new Prng(seed)
    const { info, processes, layout } = testnet
    const rpcs = info.validators.map((v) => v.rpc)
    const down = new Set<number>()
    const load = await TransferLoad.create(info)
    load.start(() => {
      const up = rpcs.filter((_, i) => !down.has(i))
      return up[prng.int(0, up.length - 1)]
    })

    await waitFor('the chain to start committing', async () => (await status(rpcs[0]!)).height >= 5)
    for (let kill = 0; kill < killCount; kill++) {
      const victim = prng.int(0, rpcs.length - 1)
      // Keep client traffic off the victim first, so what it acknowledged has been gossiped.
      down.add(victim)
      await sleep(prng.int(200, 1_500))
      const before = await status(rpcs[victim]!)
      await processes.stopOne(victim, 'SIGKILL')
      await sleep(prng.int(200, 2_500))
      await processes.spawn({
        index: victim,
        cliPath: defaultCliPath(),
        home: layout.validators[victim]!.home,
        logFile: layout.validators[victim]!.logFile,
      })
      await waitFor(`validator ${victim} back above height ${before.height} (${replay})`, async () => {
        return (await status(rpcs[victim]!)).height >= before.height
      })
      // Nothing it had committed was lost or changed.
      expect((await blockAt(rpcs[victim]!, before.height)).hash, replay).toBe(before.block_hash)
      down.delete(victim)
    }
    await load.stop()

    await waitFor(
      `every acknowledged transfer committed (${replay})`,
      async () => {
        for (const hash of load.acknowledged) await rpcCall(rpcs[0]!, 'tx', { hash })
        return true
      },
      90_000,
    )
    await waitFor('all validators at one height', async () => {
      const heights = await Promise.all(rpcs.map(async (rpc) => (await status(rpc)).height))
      return Math.min(...heights) >= Math.max(...heights) - 2
    })
    const top = Math.min(...(await Promise.all(rpcs.map(async (rpc) => (await status(rpc)).height))))
    const blocks = await checkAgreementUpTo(rpcs, top)
    const appearances = new Map<string, number>()
    for (const block of blocks)
      for (const tx of block.txs) appearances.set(tx.hash, (appearances.get(tx.hash) ?? 0) + 1)
    for (const hash of load.acknowledged) expect(appearances.get(hash), `${hash} (${replay})`).toBe(1)
    expect(load.acknowledged.length).toBeGreaterThan(killCount * 5)

    // The signing audit trail, across every life of every validator: one message per (kind, view).
    for (const validator of layout.validators) {
      const signed = new Map<string, string>()
      for (const line of (await readFile(validator.logFile, 'utf8')).split('\n')) {
        if (!line.includes('"signed"')) continue
        const entry = JSON.parse(line) as { signed?: { kind: string; view: number; digest: string } }
        if (entry.signed === undefined) continue
        const key = `${entry.signed.kind}:${entry.signed.view}`
        const earlier = signed.get(key)
        expect(
          earlier === undefined || earlier === entry.signed.digest,
          `validator ${validator.index} signed two ${key} (${replay})`,
        ).toBe(true)
        signed.set(key, entry.signed.digest)
      }
      expect(signed.size).toBeGreaterThan(0)
    }
  }, 600_000)
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
