import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rpcCall } from '../../node/rpc/client.js'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { freeBasePort } from '../support/free-ports.js'
import { metricTotal } from '../support/metrics-scrape.js'
import { checkAgreementUpTo, status, waitFor } from '../support/rpc-checks.js'

interface EvidenceAnswer {
  readonly total: number
  readonly evidence: ReadonlyArray<{
    readonly kind: string
    readonly offender: number
    readonly view: number
  }>
}

describe('real validator processes running malicious fixtures (n = 7, f = 2)', () => {
  let testnet: RunningTestnet
  let dir: string
  const honestIndices = [0, 1, 2, 3, 4]

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-byzantine-'))
    testnet = await startTestnet({
      dir,
      // These checks count blocks, not only transfers: empty blocks keep the chain moving between them.
      createEmptyBlocks: true,
      validators: 7,
      accounts: 1,
      basePort: await freeBasePort(7),
      byzantine: { 5: 'bad-signatures', 6: 'double-voter' },
    })
  }, 120_000)

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('the honest five agree and keep committing, count the forgeries, and hold the double voter to account', async () => {
    const honest = honestIndices.map((i) => testnet.info.validators[i]!)
    await waitFor(
      '20 blocks on the honest validators',
      async () => {
        const heights = await Promise.all(honest.map(async (v) => (await status(v.rpc)).height))
        return heights.every((h) => h >= 20)
      },
      120_000,
    )
    const top = Math.min(...(await Promise.all(honest.map(async (v) => (await status(v.rpc)).height))))
    await checkAgreementUpTo(
      honest.map((v) => v.rpc),
      top,
    )
    for (const validator of honest) {
      const rejected = await metricTotal(validator.metrics, 'quorate_rejected_messages_total', {
        protocol: 'consensus',
      })
      expect(rejected, `${validator.name} counts the forged messages it rejected`).toBeGreaterThan(0)
    }

    // The double voter's conflicting votes meet in some QC; the evidence is verified, stored and gossiped, so
    // every honest validator serves it over RPC.
    await waitFor(
      'double-vote evidence against validator 6 on every honest validator',
      async () => {
        for (const validator of honest) {
          const answer = await rpcCall<EvidenceAnswer>(validator.rpc, 'evidence', {})
          if (!answer.evidence.some((e) => e.kind === 'double-vote' && e.offender === 6)) return false
        }
        return true
      },
      60_000,
    )
    expect(await metricTotal(honest[0]!.metrics, 'quorate_evidence_total')).toBeGreaterThan(0)

    // Evidence survives a restart.
    const { processes } = testnet
    const before = await rpcCall<EvidenceAnswer>(honest[1]!.rpc, 'evidence', {})
    await processes.stopOne(1, 'SIGTERM')
    await testnet.restart(1)
    await waitFor('validator 1 back', async () => (await status(honest[1]!.rpc)).height >= 0)
    const after = await rpcCall<EvidenceAnswer>(honest[1]!.rpc, 'evidence', {})
    expect(after.total).toBeGreaterThanOrEqual(before.total)
    expect(after.evidence.slice(0, before.evidence.length)).toEqual(before.evidence)
  }, 240_000)
})
