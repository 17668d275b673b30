// The whole network goes down and comes back: first a clean stop (Ctrl-C of `npm run testnet`, then running it
// again on the same directory), then every validator SIGKILLed at the same moment (a power cut) and restarted.
// Each time the validators must resume from disk and go on committing, with the invariants of every e2e run.
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

const seed = Number(process.env.QUORATE_SEED ?? Date.now() % 1_000_000)
const replay = `reproduce with QUORATE_SEED=${seed}`
/** Blocks every validator must commit after each restart, beyond the highest height before it. */
const blocksAfterRestart = 10

describe(`a restart of the whole network (seed ${seed})`, () => {
  let testnet: RunningTestnet | undefined
  let dir: string
  let basePort: number

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-full-restart-'))
    basePort = await freeBasePort(4)
  })

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('after a clean stop of every validator, and after all are SIGKILLed at once, it commits again and agrees', async () => {
    const prng = new Prng(seed)
    testnet = await startTestnet({ dir, validators: 4, accounts: 4, basePort })
    const rpcs = testnet.info.validators.map((validator) => validator.rpc)
    // One load of transfers through random validators for the whole test: the stop and the kills land while
    // transfers are being acknowledged.
    const load = await TransferLoad.create(testnet.info)
    load.start(() => rpcs[prng.int(0, rpcs.length - 1)])
    const highest = async () =>
      Math.max(...(await Promise.all(rpcs.map(async (rpc) => (await status(rpc)).height))))
    const expectProgressPast = async (height: number, after: string) => {
      for (const rpc of rpcs) {
        await waitFor(
          `${rpc} to commit ${blocksAfterRestart} blocks past ${height} ${after} (${replay})`,
          async () => (await status(rpc)).height >= height + blocksAfterRestart,
        )
      }
    }

    // A clean stop (SIGTERM to all, as Ctrl-C does), then the testnet started again on its directory.
    await waitFor('the chain to start committing', async () => (await status(rpcs[0]!)).height >= 5)
    await sleep(prng.int(0, 2_000))
    const beforeStop = await highest()
    const hashBeforeStop = (await blockAt(rpcs[0]!, beforeStop - 1)).hash
    await testnet.stop()
    testnet = await startTestnet({ dir, validators: 4, accounts: 4, basePort })
    expect((await blockAt(rpcs[0]!, beforeStop - 1)).hash, 'committed blocks survive the stop').toBe(
      hashBeforeStop,
    )
    await expectProgressPast(beforeStop, 'after a clean stop and restart')

    // A power cut: every validator SIGKILLed at the same moment, then all started again.
    await sleep(prng.int(500, 2_500))
    const { processes, layout } = testnet
    const beforeKill = await highest()
    await Promise.all(layout.validators.map((validator) => processes.stopOne(validator.index, 'SIGKILL')))
    for (const validator of layout.validators) await testnet.restart(validator.index)
    await expectProgressPast(beforeKill, 'after every validator was SIGKILLed and restarted')
    await load.stop()
    const acknowledged = load.acknowledged

    await expectSettledAgreement(rpcs, acknowledged, replay)
    expect(acknowledged.length).toBeGreaterThan(10)
    await expectNoDoubleSigning(
      layout.validators.map((validator) => validator.logFile),
      replay,
    )
  }, 300_000)
})
