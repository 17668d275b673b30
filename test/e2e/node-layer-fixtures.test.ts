// Node-layer malicious fixtures as real validator processes (libp2p, LevelDB, separate OS processes): with
// n = 7, validator 5 forges sync triggers (height-bomb) and validator 6 lies as a sync server (sync-liar). The
// five honest validators keep committing and agree, never pause consensus for block sync on the liars' word,
// and never ban one another (they may ban the liars).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rpcCall } from '../../node/rpc/client.js'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { freeBasePort } from '../support/free-ports.js'
import { readMetrics, total } from '../support/metrics-scrape.js'
import { checkAgreementUpTo, status, waitFor } from '../support/rpc-checks.js'

const honestIndices = [0, 1, 2, 3, 4]

/** `status` with the block-sync phase ('idle', 'finding-peers' while it asks for heads, 'block-sync'). */
const syncStatus = (rpc: string) => rpcCall<{ height: number; sync: { phase: string } }>(rpc, 'status', {})

describe('real processes running node-layer fixtures (n = 7: height-bomb and sync-liar)', () => {
  let testnet: RunningTestnet
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-node-layer-'))
    testnet = await startTestnet({
      dir,
      // These checks count blocks, not only transfers: empty blocks keep the chain moving between them.
      createEmptyBlocks: true,
      validators: 7,
      accounts: 1,
      basePort: await freeBasePort(7),
      byzantine: { 5: 'height-bomb', 6: 'sync-liar' },
    })
  }, 120_000)

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('the honest five keep committing, agree, never sync on a forged head and never ban each other', async () => {
    const honest = honestIndices.map((i) => testnet.info.validators[i]!)
    const heights = async () => Promise.all(honest.map(async (v) => (await status(v.rpc)).height))
    let pausedForSync = 0
    await waitFor(
      '30 blocks on the honest validators',
      async () => {
        const statuses = await Promise.all(honest.map((v) => syncStatus(v.rpc)))
        pausedForSync += statuses.filter((each) => each.sync.phase === 'block-sync').length
        return statuses.every((each) => each.height >= 30)
      },
      120_000,
    )
    await checkAgreementUpTo(
      honest.map((v) => v.rpc),
      Math.min(...(await heights())),
    )
    expect(pausedForSync, 'an honest validator ran block sync (consensus paused)').toBe(0)
    for (const validator of honest) {
      const samples = await readMetrics(validator.metrics)
      // The height bomb's proposals (genesis parent, no TC of the view before) are refused by the verifier, so
      // nothing tempts an honest validator to probe heads and meet the liar's forged ones; any it met were refused
      // too. (The forged heads themselves: test/byzantine/node-layer-fixtures.test.ts and the simulator.)
      const bombs = total(samples, 'quorate_rejected_messages_total', {
        protocol: 'consensus',
        reason: 'invalid-tc',
      })
      expect(bombs, `${validator.name} refused the height bomb's proposals`).toBeGreaterThan(0)
      for (const peer of honestIndices) {
        const bans = total(samples, 'quorate_peer_events_total', { kind: 'banned', peer: String(peer) })
        expect(bans, `${validator.name} banned honest validator ${peer}`).toBe(0)
      }
    }
  }, 240_000)
})
