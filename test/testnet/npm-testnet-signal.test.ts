// The README's command, as a user runs it: `npm run testnet`, then `kill -TERM` of that npm process. npm passes
// SIGTERM to the script's process; the script must end in the runner itself (exec), or a shell receives it,
// exits, and leaves the runner and every validator running.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { freeBasePort } from '../support/free-ports.js'
import { isAlive } from '../support/processes.js'
import { status, waitFor } from '../support/rpc-checks.js'

const repository = fileURLToPath(new URL('../../', import.meta.url))

let root: string | undefined
let npm: ChildProcess | undefined
let validatorPids: number[] = []

afterEach(async () => {
  // Whatever happened: nothing this test started keeps running.
  if (npm?.pid !== undefined && npm.exitCode === null) process.kill(-npm.pid, 'SIGKILL')
  for (const pid of validatorPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  validatorPids = []
  npm = undefined
  if (root !== undefined) await rm(root, { recursive: true, force: true })
  root = undefined
})

describe('npm run testnet', () => {
  it('kill -TERM of the npm process stops the runner and every validator', async () => {
    root = await mkdtemp(join(tmpdir(), 'quorate-npm-testnet-'))
    const dir = join(root, 'net')
    const basePort = await freeBasePort(4)
    const output: string[] = []
    const started = spawn('npm', ['run', 'testnet', '--', '--dir', dir, '--base-port', String(basePort)], {
      cwd: repository,
      // Its own process group, so cleanup can reach every process it started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    npm = started
    started.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    started.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      started.once('exit', (code, signal) => resolve({ code, signal })),
    )

    await waitFor(
      'testnet.json',
      async () => (await readFile(join(dir, 'testnet.json'), 'utf8')).length > 0,
      120_000,
    )
    const info = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8'))
    const validators: Array<{ pid: number; rpc: string }> = info.validators
    validatorPids = validators.map((validator) => validator.pid)
    for (const validator of validators) {
      await waitFor(
        'a validator answering status',
        async () => (await status(validator.rpc)).height >= 0,
        60_000,
      )
    }

    process.kill(started.pid!, 'SIGTERM')
    const result = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000)),
    ])
    expect(
      result,
      `npm run testnet still running 30 s after SIGTERM; output:\n${output.join('')}`,
    ).toBeDefined()
    await waitFor('the validators to exit', async () => !validatorPids.some(isAlive), 10_000).catch(() => {})
    expect(
      validatorPids.filter(isAlive),
      `validators still running after npm run testnet got SIGTERM; output:\n${output.join('')}`,
    ).toEqual([])
  }, 240_000)
})
