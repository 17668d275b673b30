import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { Prng } from '../sim/prng.js'
import { freeBasePort } from '../support/free-ports.js'
import { TransferLoad } from '../support/load.js'
import {
  blockAt,
  expectNoDoubleSigning,
  expectSettledAgreement,
  status,
  waitFor,
} from '../support/rpc-checks.js'

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
      await testnet.restart(victim)
      await waitFor(`validator ${victim} back above height ${before.height} (${replay})`, async () => {
        return (await status(rpcs[victim]!)).height >= before.height
      })
      // Nothing it had committed was lost or changed.
      expect((await blockAt(rpcs[victim]!, before.height)).hash, replay).toBe(before.block_hash)
      down.delete(victim)
    }
    await load.stop()

    await expectSettledAgreement(rpcs, load.acknowledged, replay)
    expect(load.acknowledged.length).toBeGreaterThan(killCount * 5)
    // The signing audit trail, across every life of every validator: one message per (kind, view).
    await expectNoDoubleSigning(
      layout.validators.map((validator) => validator.logFile),
      replay,
    )
  }, 600_000)
})
