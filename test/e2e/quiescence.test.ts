// The default configuration on real validator processes: an idle testnet commits no blocks, changes no view and
// writes nothing to its chain data or safety state; a transfer wakes it and commits without a view timeout.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { freeBasePort } from '../support/free-ports.js'
import { metricTotal } from '../support/metrics-scrape.js'
import { commitTransfer, status, waitFor } from '../support/rpc-checks.js'

/** Idle time watched; longer than the view timeout (1 s), so an idle view's timer has fired in it. */
const idleWatchMs = 4_000

async function directoryBytes(dir: string): Promise<number> {
  let bytes = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size
  }
  return bytes
}

describe('a quiescent testnet (real validator processes, default config)', () => {
  let testnet: RunningTestnet | undefined
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-quiescence-'))
  })

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('stays silent while idle and commits a transfer without a view timeout', async () => {
    testnet = await startTestnet({ dir, validators: 4, accounts: 2, basePort: await freeBasePort(4) })
    const { info, layout } = testnet
    const rpcs = info.validators.map((validator) => validator.rpc)
    const metrics = rpcs.map((rpc) => new URL('/metrics', rpc).toString())
    const transfer = (nonce: number, rpc: string) => commitTransfer(info, rpc, nonce)
    const snapshot = async () => ({
      heights: await Promise.all(rpcs.map(async (rpc) => (await status(rpc)).height)),
      views: await Promise.all(rpcs.map(async (rpc) => (await status(rpc)).view)),
      timeoutViews: await Promise.all(
        metrics.map((url) => metricTotal(url, 'quorate_view_changes_total', { reason: 'tc' })),
      ),
      stored: await Promise.all(
        layout.validators.map(async (validator) => ({
          data: await directoryBytes(join(validator.home, 'data')),
          safety: await directoryBytes(join(validator.home, 'safety')),
        })),
      ),
    })

    const first = await transfer(0, rpcs[1]!)
    expect(first.code).toBe(0)
    // Every validator has committed it and sits in the same view: the chain has nothing left to do.
    await waitFor('every validator to commit the transfer and settle in one view', async () => {
      const now = await snapshot()
      return Math.min(...now.heights) >= first.height && new Set(now.views).size === 1
    })
    const before = await snapshot()
    expect(Math.min(...before.heights)).toBeGreaterThanOrEqual(first.height)
    await sleep(idleWatchMs)
    const after = await snapshot()
    expect(after.heights, 'no block committed while idle').toEqual(before.heights)
    expect(after.views, 'no view change while idle').toEqual(before.views)
    expect(after.stored, 'chain data and safety state unchanged while idle').toEqual(before.stored)

    const second = await transfer(1, rpcs[2]!)
    expect(second.code).toBe(0)
    expect(second.height).toBeGreaterThan(Math.max(...after.heights))
    const woken = await snapshot()
    expect(woken.timeoutViews, 'woken by the transfer, not by a view timeout').toEqual(after.timeoutViews)
  }, 120_000)
})
