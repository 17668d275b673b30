// `quorate testnet ctl` against a running `quorate testnet` (both the built CLI, each its own OS process, with
// real validator processes): every control takes effect in the validators (signals, their unsafe_* state,
// testnet.json), link faults are applied again to a validator that restarts, refusals get exit codes 2 / 3 / 4,
// the progress line names what is injected, and the console's API refuses foreign pages.

import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rpcCall } from '../../node/rpc/client.js'
import type { TestnetInfo } from '../../testnet/info.js'
import { killRunningClis, runCli, spawnCli } from '../cli/run-cli.js'
import { freeBasePort } from '../support/free-ports.js'
import { waitFor } from '../support/rpc-checks.js'

interface Faults {
  links: Array<{ peer: number; cut: boolean; delay_ms: number; drop_rate: number }>
  clock_skew_ms: number
}

let dir: string
let runner: ChildProcess
let output = ''
let consoleUrl: string
let rpcs: string[]

const ctl = (...args: string[]) => runCli(['testnet', 'ctl', '--dir', dir, ...args])
const faultsOf = (index: number) => rpcCall<Faults>(rpcs[index]!, 'unsafe_faults', {}, { timeoutMs: 2_000 })
const info = async () => JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8')) as TestnetInfo

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quorate-lab-ctl-'))
  const basePort = await freeBasePort(4)
  runner = spawnCli(['testnet', '--dir', dir, '--base-port', String(basePort), '--console-port', '0'])
  runner.stdout!.setEncoding('utf8').on('data', (text: string) => {
    output += text
  })
  runner.stderr!.setEncoding('utf8').on('data', (text: string) => {
    output += text
  })
  await waitFor("the runner's console line", async () => /console: (http:\S+)/.test(output), 60_000)
  consoleUrl = /console: (http:\S+)/.exec(output)![1]!
  rpcs = (await info()).validators.map((validator) => validator.rpc)
}, 90_000)

afterAll(async () => {
  if (runner.exitCode === null) {
    runner.kill('SIGTERM')
    await new Promise((resolve) => runner.once('exit', resolve))
  }
  killRunningClis()
  await rm(dir, { recursive: true, force: true })
}, 30_000)

describe('quorate testnet ctl', () => {
  it('pauses and resumes with signals, refusing what the state does not allow (exit 4) and bad input (exit 2)', async () => {
    const paused = await ctl('pause', '2')
    expect(paused).toMatchObject({ code: 0, stdout: 'faults: 2 paused\n' })
    const again = await ctl('pause', '2')
    expect(again.code).toBe(4)
    expect(again.stderr).toContain('validator 2 is not running (paused)')
    // A stopped process answers nothing; SIGCONT brings it back.
    await expect(rpcCall(rpcs[2]!, 'status', {}, { timeoutMs: 500 })).rejects.toThrow()
    expect((await ctl('resume', '2')).code).toBe(0)
    await rpcCall(rpcs[2]!, 'status', {}, { timeoutMs: 5_000 })
    const unknown = await ctl('kill', '9')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no validator 9')
    expect((await ctl('link', '0', '1', '--drop', '2')).code).toBe(2)
  })

  it('cuts links one way in the senders only, shows them in the progress line, and heals', async () => {
    const cut = await ctl('partition', '--one-way', '0', '1,2,3')
    expect(cut.stdout).toBe('faults: 0→1 cut; 0→2 cut; 0→3 cut\n')
    expect((await faultsOf(0)).links.map((link) => [link.peer, link.cut])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ])
    expect((await faultsOf(1)).links).toEqual([])
    await waitFor(
      'the progress line',
      async () => output.includes('faults: 0→1 cut; 0→2 cut; 0→3 cut'),
      10_000,
    )
    expect((await ctl('heal')).stdout).toBe('faults: none\n')
    expect((await faultsOf(0)).links).toEqual([])
  })

  it('sets link delay and loss both ways, and steps a clock', async () => {
    await ctl('link', '1', '2', '--delay-ms', '40', '--drop', '0.1', '--both')
    expect((await faultsOf(2)).links).toEqual([{ peer: 1, cut: false, delay_ms: 40, drop_rate: 0.1 }])
    await ctl('skew', '3', '-7000')
    expect((await faultsOf(3)).clock_skew_ms).toBe(-7000)
    await ctl('skew', '3', '0')
    await ctl('heal')
  })

  it('restarts a validator as a fixture and honest again, recording it in testnet.json', async () => {
    const before = (await info()).validators[3]!.pid
    expect((await ctl('restart', '3', '--as', 'silent')).stdout).toBe('faults: 3 as silent\n')
    const validator = (await info()).validators[3]!
    expect(validator.fixture).toBe('silent')
    expect(validator.pid).not.toBe(before)
    expect((await ctl('restart', '3', '--honest')).stdout).toBe('faults: none\n')
    expect((await info()).validators[3]!.fixture).toBeNull()
  })

  it('applies the link plan again to a validator that was killed and restarted', async () => {
    await ctl('partition', '0,1', '2,3')
    expect((await ctl('kill', '0')).stdout).toContain('0 killed')
    await ctl('restart', '0')
    await waitFor('the links applied to 0 again', async () => (await faultsOf(0)).links.length === 2, 20_000)
    expect((await faultsOf(0)).links.map((link) => link.peer)).toEqual([2, 3])
    await ctl('heal')
  })

  it('reports no runner as unreachable (exit 3)', async () => {
    const run = await runCli(['testnet', 'ctl', '--dir', join(dir, 'nowhere'), 'status'])
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('no testnet runner answers')
  })

  it("refuses commands from other origins and non-JSON posts on the console's port", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${consoleUrl}api/control`, { method: 'POST', headers, body: '{"command":"kill","validator":1}' })
    expect((await post({ 'content-type': 'text/plain' })).status).toBe(403)
    expect((await post({ 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(
      403,
    )
    const state = (await (await fetch(`${consoleUrl}api/state`)).json()) as {
      validators: Array<{ process: string }>
    }
    expect(state.validators[1]?.process).toBe('running')
  })

  it('stops the testnet on SIGTERM and removes its socket', async () => {
    runner.kill('SIGTERM')
    await new Promise((resolve) => runner.once('exit', resolve))
    expect(existsSync(join(dir, 'lab.sock'))).toBe(false)
    expect(output).toContain('stopped; data kept in')
  })
})
