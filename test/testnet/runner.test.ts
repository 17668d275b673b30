// The runner with a stand-in validator (fixtures/fake-validator.mjs): the real one needs the whole node.
// What is tested here is the runner's own contract: testnet.json, readiness, stopping, and no orphans.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { rpcCall } from '../../node/rpc/client.js'
import { TestnetError } from '../../testnet/generate.js'
import { type RunningTestnet, runTestnet, startTestnet } from '../../testnet/runner.js'
import { isAlive } from '../support/processes.js'

const fakeCli = fileURLToPath(new URL('./fixtures/fake-validator.mjs', import.meta.url))
const runnerScript = fileURLToPath(new URL('./fixtures/run-testnet.ts', import.meta.url))

let root: string
let running: RunningTestnet | undefined
const extraChildren: ChildProcess[] = []

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'quorate-runner-'))
})

afterEach(async () => {
  await running?.stop()
  running = undefined
  for (const child of extraChildren.splice(0)) child.kill('SIGKILL')
  await rm(root, { recursive: true, force: true })
})

/** A base port whose block of ports is free; random so parallel test files rarely collide. */
function randomBasePort(): number {
  return 30_000 + 100 * Math.floor(Math.random() * 300)
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return condition()
}

describe('startTestnet', () => {
  it('starts one process per validator and writes testnet.json with absolute paths and full RPC URLs', async () => {
    const dir = join(root, 'net')
    const basePort = randomBasePort()
    running = await startTestnet({ dir, validators: 3, accounts: 2, basePort, cliPath: fakeCli })
    const info = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8'))
    expect(info).toEqual(running.info)
    expect(info.chain_id).toBe('quorate-testnet')
    expect(info.validators).toHaveLength(3)
    for (const [index, validator] of info.validators.entries()) {
      expect(validator.index).toBe(index)
      expect(validator.rpc).toBe(`http://127.0.0.1:${basePort + 10 * index + 1}/`)
      expect(validator.data_dir).toBe(join(dir, `validator-${index}`))
      expect(isAbsolute(validator.data_dir)).toBe(true)
      expect(isAlive(validator.pid)).toBe(true)
      const status = await rpcCall<{ node_id: string }>(validator.rpc, 'status', {})
      expect(status.node_id).toBe(`validator-${index}`)
    }
    expect(new Set(info.validators.map((v: { pid: number }) => v.pid)).size).toBe(3)
    for (const account of info.accounts) {
      expect(isAbsolute(account.key_file)).toBe(true)
      expect(account.address).toMatch(/^[0-9a-f]{64}$/)
      expect(account.balance).toBe('1000000000')
    }
  })

  it('stop() ends every validator and removes nothing', async () => {
    const dir = join(root, 'net')
    running = await startTestnet({
      dir,
      validators: 2,
      accounts: 1,
      basePort: randomBasePort(),
      cliPath: fakeCli,
    })
    const pids = running.info.validators.map((validator) => validator.pid)
    await running.stop()
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    expect(running.processes.runningCount).toBe(0)
    await expect(readFile(join(dir, 'testnet.json'), 'utf8')).resolves.toContain('quorate-testnet')
    await expect(readFile(join(dir, 'validator-0', 'node.log'), 'utf8')).resolves.toContain('fake validator')
  })

  it('SIGKILLs a validator that ignores SIGTERM once the grace period is over', async () => {
    running = await startTestnet({
      dir: join(root, 'net'),
      validators: 2,
      accounts: 0,
      basePort: randomBasePort(),
      cliPath: fakeCli,
      byzantine: { 1: 'ignore-sigterm' },
    })
    const stubborn = running.info.validators[1]!.pid
    const started = Date.now()
    await running.processes.stop(300)
    expect(isAlive(stubborn)).toBe(false)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
  })

  it('fails with the log of a validator that dies during startup, leaving nothing running', async () => {
    const dir = join(root, 'net')
    const error = await startTestnet({
      dir,
      validators: 2,
      accounts: 0,
      basePort: randomBasePort(),
      cliPath: fakeCli,
      byzantine: { 0: 'crash-on-start' },
    }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TestnetError)
    expect((error as Error).message).toMatch(/validator 0 exited during startup[\s\S]*crashing on purpose/)
    const info = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8'))
    for (const validator of info.validators)
      expect(await waitUntil(() => !isAlive(validator.pid), 2_000)).toBe(true)
  })

  it('refuses to start on ports that are in use', async () => {
    const basePort = randomBasePort()
    running = await startTestnet({
      dir: join(root, 'a'),
      validators: 1,
      accounts: 0,
      basePort,
      cliPath: fakeCli,
    })
    await expect(
      startTestnet({ dir: join(root, 'b'), validators: 1, accounts: 0, basePort, cliPath: fakeCli }),
    ).rejects.toThrow(/port \d+ on 127\.0\.0\.1 is in use/)
  })

  it('says to build first when the CLI is missing', async () => {
    await expect(startTestnet({ dir: join(root, 'net'), cliPath: join(root, 'missing.js') })).rejects.toThrow(
      /run `npm run build` first/,
    )
  })
})

describe('runTestnet', () => {
  it('prints the RPC addresses and one progress line per second, then stops everything', async () => {
    const lines: string[] = []
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line)
    })
    try {
      const controller = new AbortController()
      const dir = join(root, 'net')
      setTimeout(() => controller.abort(), 3_500)
      await runTestnet({
        dir,
        validators: 2,
        accounts: 1,
        basePort: randomBasePort(),
        cliPath: fakeCli,
        signal: controller.signal,
      })
      const info = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8'))
      for (const validator of info.validators) {
        expect(lines.some((line) => line.includes(validator.rpc))).toBe(true)
        expect(isAlive(validator.pid)).toBe(false)
      }
      const progress = lines.filter((line) => line.startsWith('h='))
      expect(progress.length).toBeGreaterThanOrEqual(2)
      expect(progress.at(-1)).toMatch(/^h=\d+ view=\d+ leader=[01] tx\/s=\d+\.\d up=2\/2$/)
    } finally {
      spy.mockRestore()
    }
  })
})

describe('runTestnet, stopped while starting', () => {
  it('stops what it started and resolves', async () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const dir = join(root, 'net')
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 20)
      await runTestnet({
        dir,
        validators: 2,
        accounts: 0,
        basePort: randomBasePort(),
        cliPath: fakeCli,
        signal: controller.signal,
      })
      const info = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8'))
      for (const validator of info.validators)
        expect(await waitUntil(() => !isAlive(validator.pid), 2_000)).toBe(true)
    } finally {
      spy.mockRestore()
    }
  })
})

describe('no orphan validators', () => {
  async function startRunnerProcess(mode: string): Promise<{ runner: ChildProcess; pids: number[] }> {
    const dir = join(root, 'net')
    const runner = spawn(
      process.execPath,
      ['--import', 'tsx', runnerScript, dir, String(randomBasePort()), fakeCli, mode],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    extraChildren.push(runner)
    let output = ''
    runner.stderr?.on('data', (chunk) => {
      output += chunk
    })
    await new Promise<void>((resolve, reject) => {
      runner.stdout?.on('data', (chunk) => {
        output += chunk
        if (output.includes('READY')) resolve()
      })
      runner.on('exit', () => reject(new Error(`runner exited early: ${output}`)))
    })
    const info = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8'))
    const pids = info.validators.map((validator: { pid: number }) => validator.pid)
    for (const pid of pids) expect(isAlive(pid)).toBe(true)
    return { runner, pids }
  }

  it('validators exit when the runner is SIGKILLed (their stdin pipe closes)', async () => {
    const { runner, pids } = await startRunnerProcess('wait')
    runner.kill('SIGKILL')
    for (const pid of pids) expect(await waitUntil(() => !isAlive(pid), 5_000)).toBe(true)
  })

  it('validators are killed when the runner dies of an uncaught error', async () => {
    const { runner, pids } = await startRunnerProcess('crash')
    await new Promise((resolve) => runner.once('exit', resolve))
    for (const pid of pids) expect(await waitUntil(() => !isAlive(pid), 5_000)).toBe(true)
  })
})
