import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { freeBasePort } from '../support/free-ports.js'
import { checkAgreementUpTo, status, waitFor } from '../support/rpc-checks.js'

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text()
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

describe('a real validator process running a malicious fixture', () => {
  let testnet: RunningTestnet
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-byzantine-'))
    testnet = await startTestnet({
      dir,
      validators: 4,
      accounts: 1,
      basePort: await freeBasePort(4),
      byzantine: { 3: 'bad-signatures' },
    })
  }, 90_000)

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('bad-signatures: the honest three reject its messages (counted), stay in agreement and keep committing', async () => {
    const honest = testnet.info.validators.slice(0, 3)
    await waitFor('20 blocks on the honest validators', async () => {
      const heights = await Promise.all(honest.map(async (v) => (await status(v.rpc)).height))
      return heights.every((h) => h >= 20)
    })
    const top = Math.min(...(await Promise.all(honest.map(async (v) => (await status(v.rpc)).height))))
    await checkAgreementUpTo(
      honest.map((v) => v.rpc),
      top,
    )
    for (const validator of honest) {
      const rejected = await metric(validator.metrics, 'quorate_rejected_messages_total{protocol="consensus"')
      expect(rejected, `${validator.name} counts the forged messages it rejected`).toBeGreaterThan(0)
    }
  }, 120_000)
})
