// A seconds-long run of the real leader-crash benchmark (`npm run bench -- leader-crash`): 4 validator
// processes under 4 closed-loop clients from the load generator's own process, one trial (SIGKILL the current
// leader, time the survivors' recovery, restart it, wait for it to catch up). It checks the report's shape and
// that the trial measured a recovery after the kill; the figures themselves depend on the machine and are not
// judged here (docs/performance.md holds a full run).

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultConsensusParams } from '../../ledger/genesis.js'
import type { LeaderCrashReport } from '../bench/leader-crash/report.js'
import { benchLeaderCrash } from '../bench/leader-crash.js'
import { freeBasePort } from '../support/free-ports.js'

const validators = 4
const trials = 1

describe('the leader-crash benchmark, seconds long', () => {
  let dir: string
  let report: LeaderCrashReport
  let printed: string[]
  let file: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-leader-crash-bench-test-'))
    printed = []
    const run = await benchLeaderCrash({
      basePort: await freeBasePort(validators),
      validators,
      clients: 4,
      trials,
      warmupMs: 500,
      settleMs: 0,
      pollIntervalMs: 5,
      victim: 'current',
      resultsDir: join(dir, 'results'),
      print: (line) => printed.push(line),
    })
    file = run.file
    report = JSON.parse(await readFile(file, 'utf8')) as LeaderCrashReport
  }, 120_000)

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes one leader-crash-<time>.json, the report it returned, with the genesis base timeout', async () => {
    expect(await readdir(join(dir, 'results'))).toEqual([file.slice(join(dir, 'results').length + 1)])
    expect(file).toMatch(/leader-crash-[\dT-]+Z\.json$/)
    expect(report.bench).toBe('leader-crash')
    expect(report.options).toEqual({
      validators,
      clients: 4,
      trials,
      warmup_ms: 500,
      settle_ms: 0,
      poll_interval_ms: 5,
      victim: 'current',
    })
    expect(report.view_timeout_base_ms).toBe(defaultConsensusParams.viewTimeoutBaseMs)
    expect(report.target_ms).toBe(report.view_timeout_base_ms + 100)
    expect(['met', 'not met']).toContain(report.verdict)
  })

  it('kills the leader of the view it read, and measures a recovery after the views it cost', () => {
    expect(report.trials).toHaveLength(trials)
    expect(report.failed_trials).toBe(0)
    for (const trial of report.trials) {
      expect(trial.victim).toBe(trial.view_at_kill % validators)
      expect(trial.missed_views).not.toBeNull()
      const [first, last] = trial.missed_views!
      expect(first).toBeLessThanOrEqual(last)
      expect(last).toBeGreaterThanOrEqual(trial.view_at_kill)
      expect(trial.recovery_height).toBeGreaterThan(trial.height_at_kill)
      expect(trial.recovery_ms).toBeGreaterThan(0)
      expect(trial.recovery_earliest_ms).toBeGreaterThanOrEqual(0)
      expect(trial.recovery_earliest_ms!).toBeLessThanOrEqual(trial.recovery_ms!)
      // The survivors entered the missed view, left it, then committed the block after it, in that order.
      expect(trial.entered_missed_view_ms!).toBeLessThanOrEqual(trial.left_missed_views_ms!)
      expect(trial.left_missed_views_ms!).toBeLessThanOrEqual(trial.recovery_ms!)
      expect(trial.first_commit_ms!).toBeLessThanOrEqual(trial.recovery_ms!)
      // A survivor's own log says when it gave up on the missed view: after the kill, before the recovery.
      expect(trial.timeout_signed_ms).toBeGreaterThan(0)
      expect(trial.timeout_signed_ms!).toBeLessThanOrEqual(trial.recovery_ms! + 1)
      expect(trial.catch_up_ms).toBeGreaterThan(0)
      expect(trial.polls).toBeGreaterThan(0)
    }
    expect(report.recovery_ms.median).toBe(report.trials[0]!.recovery_ms)
    expect(report.after_timeout_ms.median).toBeCloseTo(
      report.trials[0]!.recovery_ms! - report.trials[0]!.timeout_signed_ms!,
      6,
    )
    expect(report.load.committed).toBeGreaterThan(0)
  })

  it('prints one table row per trial and the verdict', () => {
    const rows = printed.filter((line) => /^\| \d+ \|/.test(line))
    expect(rows).toHaveLength(trials)
    expect(printed.some((line) => line.includes(`verdict against ${report.target_ms} ms`))).toBe(true)
  })
})
