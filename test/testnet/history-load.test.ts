// The history load generator against a real testnet of 4 validator processes, judged by `quorate check` run as
// its own process: a history recorded across a SIGKILL of a validator checks clean, and the same history with
// an acknowledged transaction that was never sent is caught, the transaction named. Also what each kind of
// broadcast_tx_commit answer is recorded as.

import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RpcCallError, RpcTransportError } from '../../node/rpc/client.js'
import { checkNames } from '../../testnet/history/checker.js'
import { outcomeOfAnswer, outcomeOfError } from '../../testnet/history/commit-outcome.js'
import { parseHistoryText } from '../../testnet/history/history-file.js'
import { type HistoryLoad, startHistoryLoad } from '../../testnet/history/load-generator.js'
import { type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import { killRunningClis, runCli } from '../cli/run-cli.js'
import { freeBasePort } from '../support/free-ports.js'
import { status, waitFor } from '../support/rpc-checks.js'

describe('what a broadcast_tx_commit answer is recorded as', () => {
  it('a height is ok (with the receipt code), a refusal before admission is fail, anything unsure is unknown', () => {
    expect(outcomeOfAnswer({ hash: 'ab', height: 7, code: 0, log: '' })).toEqual({
      op: 'ok',
      height: 7,
      code: 0,
    })
    expect(outcomeOfAnswer({ hash: 'ab', height: 7, code: 2, log: 'insufficient funds' })).toMatchObject({
      op: 'ok',
      code: 2,
    })
    expect(outcomeOfAnswer({ hash: 'ab', code: 15, log: 'bad nonce' })).toEqual({
      op: 'fail',
      error: 'admission code 15: bad nonce',
    })
    expect(outcomeOfAnswer({ hash: 'ab', code: 16, log: 'mempool full' }).op).toBe('fail')
    // Already pending (or committed) but not seen committed within the wait: it may still commit.
    expect(outcomeOfAnswer({ hash: 'ab', code: 14, log: 'already pending' }).op).toBe('unknown')
    expect(outcomeOfAnswer({ hash: 'ab', code: 13, log: 'already committed' }).op).toBe('unknown')
    expect(outcomeOfAnswer('nonsense').op).toBe('unknown')
    expect(outcomeOfError(new RpcCallError(-32602, 'tx: expected hex')).op).toBe('fail')
    expect(outcomeOfError(new RpcCallError(-32001, 'transaction not committed in time')).op).toBe('unknown')
    expect(outcomeOfError(new RpcCallError(-32603, 'internal error')).op).toBe('unknown')
    expect(outcomeOfError(new RpcTransportError('no answer within 10000 ms'))).toEqual({
      op: 'unknown',
      error: 'no answer within 10000 ms',
    })
    expect(outcomeOfError(new DOMException('aborted', 'AbortError')).op).toBe('unknown')
  })
})

describe('a recorded history of a real testnet, checked by `quorate check`', () => {
  let dir: string
  let testnet: RunningTestnet | undefined
  let load: HistoryLoad | undefined
  let historyFile: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-history-'))
    historyFile = join(dir, 'history.jsonl')
    testnet = await startTestnet({ dir, validators: 4, accounts: 4, basePort: await freeBasePort(4) })
  }, 90_000)

  afterEach(async () => {
    await load?.stop().catch(() => {})
    load = undefined
    killRunningClis()
  })

  afterAll(async () => {
    await testnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('checks clean after a load with a validator SIGKILLed and restarted in the middle of it', async () => {
    const running = testnet!
    const down = new Set<number>()
    load = await startHistoryLoad({
      info: running.info,
      historyFile,
      clients: 4,
      intervalMs: 50,
      isUsable: (index) => !down.has(index),
    })
    await sleep(2_000)
    // Killed with requests in flight: those are recorded unknown.
    await running.processes.stopOne(2, 'SIGKILL')
    down.add(2)
    await sleep(1_500)
    await running.restart(2)
    await waitFor(
      'validator 2 to answer again',
      async () => (await status(running.info.validators[2]!.rpc)) !== undefined,
    )
    down.delete(2)
    const healMs = Date.now()
    await sleep(3_000)
    const summary = await load.stop()
    load = undefined
    expect(summary.invoked).toBe(summary.ok + summary.fail + summary.unknown)
    expect(summary.ok).toBeGreaterThan(20)

    const history = parseHistoryText(await readFile(historyFile, 'utf8'))
    expect(history.tornLastLine).toBeUndefined()
    expect(history.records.filter((record) => record.op === 'invoke')).toHaveLength(summary.invoked)
    expect(
      new Set(history.records.filter((record) => record.op === 'invoke').map((record) => record.node)),
    ).toEqual(new Set([0, 1, 2, 3]))

    const run = await runCli(['check', '--testnet', dir, '--last-heal-ms', String(healMs)])
    expect(run.stderr).toBe('')
    expect(run.code, run.stdout).toBe(0)
    const lines = run.stdout.trim().split('\n')
    for (const name of checkNames) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^PASS ${name} `)))
    }
    expect(run.stdout).toContain(`figures: invoked=${summary.invoked} ok=${summary.ok} fail=${summary.fail}`)
    expect(run.stdout).toContain('validators read: 0, 1, 2, 3, excluded: none')
    expect(lines.at(-1)).toBe('verdict: PASS')
  }, 180_000)

  it('fails, naming it, on an acknowledged transaction that was never sent', async () => {
    const planted = join(dir, 'planted.jsonl')
    await copyFile(historyFile, planted)
    const { records } = parseHistoryText(await readFile(planted, 'utf8'))
    expect(records.length).toBeGreaterThan(0)
    const last = records.at(-1)!
    const [from, to] = testnet!.info.accounts
    const tx = 'de'.repeat(32)
    const id = Math.max(...records.map((record) => record.id)) + 1
    await appendFile(
      planted,
      `${JSON.stringify({ op: 'invoke', id, client: 0, t_ms: last.t_ms + 1, tx, from: from!.address, to: to!.address, amount: '1', nonce: 999_999, node: 0 })}\n` +
        `${JSON.stringify({ op: 'ok', id, t_ms: last.t_ms + 2, height: 1 })}\n`,
    )
    const run = await runCli(['check', '--testnet', dir, '--history', planted, '--json'])
    expect(run.code, run.stdout + run.stderr).toBe(1)
    const verdict = JSON.parse(run.stdout) as {
      ok: boolean
      checks: { name: string; ok: boolean; detail: string }[]
    }
    expect(verdict.ok).toBe(false)
    expect(verdict.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([
      'acknowledged-committed-once',
    ])
    expect(verdict.checks[1]!.detail).toBe(`1 lost: id ${id} (tx ${tx})`)
  }, 60_000)

  it('does not read a validator testnet.json says runs a fixture, nor one given to --exclude', async () => {
    const relabeled = join(dir, 'relabeled')
    await mkdir(relabeled)
    const info = JSON.parse(await readFile(join(dir, 'testnet.json'), 'utf8'))
    info.validators[3].fixture = 'double-voter'
    await writeFile(join(relabeled, 'testnet.json'), JSON.stringify(info))
    const run = await runCli([
      'check',
      '--testnet',
      relabeled,
      '--history',
      historyFile,
      '--exclude',
      '1',
      '--json',
    ])
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const report = JSON.parse(run.stdout) as {
      source: { validators_read: number[]; validators_excluded: number[] }
    }
    expect(report.source.validators_read).toEqual([0, 2])
    expect(report.source.validators_excluded).toEqual([1, 3])
  }, 60_000)

  it('exits 2 on a malformed history, naming the line, and 3 when no validator to trust answers', async () => {
    const bad = join(dir, 'bad.jsonl')
    await copyFile(historyFile, bad)
    await appendFile(bad, '{"op":"ok"}\n')
    const lineCount = (await readFile(bad, 'utf8')).trimEnd().split('\n').length
    const malformed = await runCli(['check', '--testnet', dir, '--history', bad])
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toContain(`history ${bad}: line ${lineCount}: id: expected an integer`)
    const excluded = await runCli(['check', '--testnet', dir, '--exclude', '0,1,2,3'])
    expect(excluded.code).toBe(2)
    expect(excluded.stderr).toContain('every validator is excluded')
    await testnet!.stop()
    const unreachable = await runCli(['check', '--testnet', dir])
    expect(unreachable.code).toBe(3)
    expect(unreachable.stderr).toMatch(/no validator to trust answers/)
  }, 60_000)
})
