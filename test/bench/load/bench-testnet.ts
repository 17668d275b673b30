import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CommitRule } from '../../../ledger/commit-rule.js'
import { type RunningTestnet, startTestnet } from '../../../testnet/runner.js'
import type { ProgressLine } from './progress.js'

/**
 * A fresh testnet of real validator processes in a new temporary directory, for one benchmark run; the
 * directory is removed if the testnet cannot start (the caller removes it after stopping the testnet).
 */
export async function startBenchTestnet(
  name: string,
  options: {
    readonly validators: number
    readonly accounts: number
    readonly basePort: number
    readonly commitRule?: CommitRule
  },
  progress: ProgressLine,
): Promise<{ readonly dir: string; readonly testnet: RunningTestnet }> {
  const dir = await mkdtemp(join(tmpdir(), `quorate-bench-${name}-`))
  progress.show(`starting ${options.validators} validators`, 0, dir)
  const testnet = await startTestnet({ dir, ...options }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true })
    throw error
  })
  progress.done()
  return { dir, testnet }
}
