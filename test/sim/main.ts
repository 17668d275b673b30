// `npm run sim -- --seeds K [--validators N] [--seed S] [--first-seed S] [--twins M] [--jobs J]`: seeded
// simulation sweeps of whole validators. Every run checks agreement, validity, no honest equivocation, no honest
// validator penalising another, exactly-once transfers and liveness after the faults heal; a failure prints the
// seed and the command that replays it, and the process exits 1.
// `npm run sim -- --fixtures K [--validators 4,7]`: every malicious fixture run by f validators, K seeds each.
// `npm run sim -- --harm [--validators 4,7] [--duration-ms D] [--fixture NAME]`: the harm table (harm.ts).
// `npm run sim -- --scaling [--validators 4,7,10,16,31,64] [--duration-ms D] [--seed S]`: frames and bytes per
// committed block against n, with a least-squares fit (scaling.ts); JSON in bench-results/sim-scaling-<time>.json.
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { asCommitRule, type CommitRule, commitRules } from '../../ledger/commit-rule.js'
import { type ByzantineName, byzantineNames, isByzantineName } from '../../testnet/byzantine/index.js'
import { defaultSimParams } from './cluster.js'
import { harmLatencyRatioMax, harmTable, harmThroughputRatioMin } from './harm.js'
import {
  type LinearFit,
  type ScalingRow,
  scalingClientsDefault,
  scalingTable,
  scalingValidatorCountsDefault,
  scalingWarmupMsDefault,
  scalingWindowMsDefault,
} from './scaling.js'
import { fixtureSeed, runScenario } from './scenario.js'
import { runTwins, twinsScenario } from './twins.js'

const usage =
  'usage: npm run sim -- [--seeds K] [--first-seed S | --seed S] [--validators N] [--fixture NAME] [--twins M]\n' +
  '                      [--jobs J]\n' +
  `       (every mode: [--commit-rule ${commitRules.join('|')}], default ${defaultSimParams.commitRule})\n` +
  '       npm run sim -- --fixtures K [--validators 4,7]\n' +
  '       npm run sim -- --harm [--validators 4,7] [--duration-ms 60000] [--fixture NAME] [--seed S]\n' +
  `       npm run sim -- --scaling [--validators ${scalingValidatorCountsDefault.join(',')}] [--duration-ms ${scalingWindowMsDefault}] [--seed S]`

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    seed: { type: 'string' },
    validators: { type: 'string' },
    twins: { type: 'string', default: '0' },
    'first-seed': { type: 'string', default: '1' },
    jobs: { type: 'string', default: '1' },
    harm: { type: 'boolean', default: false },
    scaling: { type: 'boolean', default: false },
    // Defaults per mode: the harm run's length (60 s), the scaling run's measured window (10 s).
    'duration-ms': { type: 'string' },
    fixture: { type: 'string' },
    fixtures: { type: 'string' },
    'commit-rule': { type: 'string', default: defaultSimParams.commitRule },
    help: { type: 'boolean', default: false },
  },
})

const write = (line: string) => process.stdout.write(`${line}\n`)
const integer = (text: string | undefined, name: string, min: number): number => {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min) {
    write(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}\n${usage}`)
    process.exit(2)
  }
  return value
}
if (values.help) {
  write(usage)
  process.exit(0)
}
const commitRule: CommitRule = commitRuleFlag()
/** Appended to every reproduce line, so it replays under the same rule. */
const ruleFlag = ` --commit-rule ${commitRule}`

if (values.harm) process.exit(await harmMode())
if (values.scaling) process.exit(await scalingMode())
if (values.fixtures !== undefined) process.exit(await fixturesMode(integer(values.fixtures, 'fixtures', 1)))
const count = values.seed === undefined ? integer(values.seeds, 'seeds', 0) : 1
const firstSeed = integer(values.seed ?? values['first-seed'], 'first-seed', 0)
const validators = values.validators === undefined ? undefined : integer(values.validators, 'validators', 4)
const twins = integer(values.twins, 'twins', 0)
const jobs = integer(values.jobs, 'jobs', 1)
if (values.fixture !== undefined && !isByzantineName(values.fixture)) {
  write(`unknown fixture ${JSON.stringify(values.fixture)}\n${usage}`)
  process.exit(2)
}
const scenarioFixture: ByzantineName | undefined = values.fixture
if (jobs > 1) process.exit(await inParallel(jobs))
let failures = 0
if (count > 0) failures += await scenarioSweep()
if (twins > 0) failures += await twinsSweep()
process.exit(failures > 0 ? 1 : 0)

async function scenarioSweep(): Promise<number> {
  const startedMs = Date.now()
  let failed = 0
  let views = 0
  let powerCuts = 0
  const recovery: number[] = []
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i
    const result = await runScenario({
      seed,
      ...(validators === undefined ? {} : { validators }),
      ...(scenarioFixture === undefined ? {} : { fixture: scenarioFixture }),
      commitRule,
    })
    views += result.views
    if (result.faults.some((fault) => fault.includes('power cut'))) powerCuts++
    recovery.push(...result.recoveryViews)
    if (result.violations.length > 0 || count === 1) {
      const verdict = result.violations.length > 0 ? 'FAIL' : 'ok'
      write(
        `${verdict} seed=${seed} n=${result.validators} byzantine=${JSON.stringify(result.byzantine)} height=${result.committedHeight} views=${result.views} txs=${result.acknowledgedTxs} trace=${result.traceHash.toString(16)}`,
      )
      for (const fault of result.faults) write(`  fault ${fault}`)
      for (const violation of result.violations) write(`  ${violation.kind}: ${violation.detail}`)
      if (result.violations.length > 0) {
        failed++
        const fixtureFlag = scenarioFixture === undefined ? '' : ` --fixture ${scenarioFixture}`
        write(
          `  reproduce: npm run sim -- --seed ${seed} --validators ${result.validators}${fixtureFlag}${ruleFlag}`,
        )
      }
    }
    if ((i + 1) % 50 === 0)
      write(`progress: ${i + 1}/${count} runs, ${failed} failed, ${seconds(startedMs)} s`)
  }
  recovery.sort((a, b) => a - b)
  const median = recovery[Math.floor(recovery.length / 2)] ?? 0
  write(
    `scenarios: ${count} runs (${powerCuts} with a power cut), ${failed} failed, ${views} simulated views, ` +
      `views to recover after heal: median ${median}, max ${recovery.at(-1) ?? 0}, wall ${seconds(startedMs)} s`,
  )
  return failed
}

async function twinsSweep(): Promise<number> {
  const startedMs = Date.now()
  let failed = 0
  for (let i = 0; i < twins; i++) {
    const seed = firstSeed + i
    const result = await runTwins(twinsScenario(seed, { commitRule }))
    if (result.violations.length > 0) {
      failed++
      write(
        `FAIL twins seed=${seed} twinned=${result.scenario.twinned} rounds=${JSON.stringify(result.scenario.rounds)}`,
      )
      for (const violation of result.violations) write(`  ${violation.kind}: ${violation.detail}`)
      write(`  reproduce: npm run sim -- --seeds 0 --twins 1 --first-seed ${seed}${ruleFlag}`)
    }
    if ((i + 1) % 500 === 0)
      write(`twins progress: ${i + 1}/${twins}, ${failed} failed, ${seconds(startedMs)} s`)
  }
  write(
    `twins: ${twins} scenarios (n=4, one twin, ${commitRule}), ${failed} failed, wall ${seconds(startedMs)} s`,
  )
  return failed
}

/** Splits the seed range over `jobs` child processes (one per core), each printing its own lines. */
async function inParallel(jobCount: number): Promise<number> {
  const split = (total: number, job: number) => {
    const share = Math.floor(total / jobCount)
    return { first: firstSeed + job * share, count: job === jobCount - 1 ? total - share * job : share }
  }
  const children = Array.from({ length: jobCount }, (_, job) => {
    const seeds = split(count, job)
    const twinSeeds = split(twins, job)
    const args = ['--import', 'tsx', process.argv[1]!, '--seeds', String(seeds.count)]
    args.push('--first-seed', String(seeds.first), '--twins', '0', '--commit-rule', commitRule)
    if (validators !== undefined) args.push('--validators', String(validators))
    const runs = [args]
    if (twinSeeds.count > 0) {
      runs.push(['--import', 'tsx', process.argv[1]!, '--seeds', '0', '--twins', String(twinSeeds.count)])
      runs.at(-1)!.push('--first-seed', String(twinSeeds.first), '--commit-rule', commitRule)
    }
    return (async () => {
      let code = 0
      for (const run of runs) {
        code ||= await new Promise<number>((resolve) => {
          const child = spawn(process.execPath, run, { stdio: ['ignore', 'pipe', 'inherit'] })
          child.stdout.on('data', (chunk: Buffer) => {
            for (const line of chunk.toString().split('\n')) if (line !== '') write(`[job ${job}] ${line}`)
          })
          child.on('exit', (exitCode) => resolve(exitCode ?? 1))
        })
      }
      return code
    })()
  })
  const codes = await Promise.all(children)
  return codes.some((code) => code !== 0) ? 1 : 0
}

async function harmMode(): Promise<number> {
  const validatorCounts = (values.validators ?? '4,7')
    .split(',')
    .map((each) => integer(each, 'validators', 4))
  const durationMs = integer(values['duration-ms'] ?? '60000', 'duration-ms', 10_000)
  const fixture = values.fixture
  if (fixture !== undefined && !isByzantineName(fixture)) {
    write(`unknown fixture ${JSON.stringify(fixture)}\n${usage}`)
    return 2
  }
  const seed = integer(values.seed ?? '1', 'seed', 0)
  const startedMs = Date.now()
  write(
    `harm: f Byzantine validators vs f crashed (silent from the start, or crashing 1 s into the window: the worse ` +
      `of the two per figure), simulated ${durationMs / 1000} s, seed ${seed}; bounds: throughput >= ` +
      `${harmThroughputRatioMin}x, p99 <= ${harmLatencyRatioMax}x of crashed`,
  )
  write('| n | fixture | tx/s | vs crashed | p50 ms | p99 ms | vs crashed | verdict |')
  write('|---|---|---|---|---|---|---|---|')
  const rows = await harmTable({
    seed,
    validatorCounts,
    durationMs,
    commitRule,
    ...(fixture === undefined ? {} : { fixtures: [fixture] as const }),
    onRow: (row) => {
      const verdict = row.withinBounds
        ? 'ok'
        : `FAIL${row.violations.length > 0 ? ` (${row.violations.length} violations: ${row.violations[0]!.kind}: ${row.violations[0]!.detail})` : ''}`
      write(
        `| ${row.validators} | ${row.fixture} | ${row.txPerSecond.toFixed(1)} | ${row.throughputRatio.toFixed(2)} | ` +
          `${row.p50Ms} | ${row.p99Ms} | ${row.latencyRatio.toFixed(2)} | ${verdict} |`,
      )
    },
  })
  const failed = rows.filter((row) => !row.withinBounds)
  write(`harm: ${rows.length} rows, ${failed.length} outside the bounds, wall ${seconds(startedMs)} s`)
  for (const row of failed)
    write(
      `  reproduce: npm run sim -- --harm --validators ${row.validators} --fixture ${row.fixture} --seed ${seed}${ruleFlag}`,
    )
  return failed.length > 0 ? 1 : 0
}

/** Frames and bytes per committed block for each n, the fits, and the JSON file. */
async function scalingMode(): Promise<number> {
  const validatorCounts = (values.validators ?? scalingValidatorCountsDefault.join(','))
    .split(',')
    .map((each) => integer(each, 'validators', 4))
  const windowMs = integer(values['duration-ms'] ?? String(scalingWindowMsDefault), 'duration-ms', 1_000)
  const seed = integer(values.seed ?? '1', 'seed', 0)
  const startedMs = Date.now()
  write(
    `scaling: n honest validators, calm network, ${scalingClientsDefault} closed-loop clients; ` +
      `${scalingWarmupMsDefault / 1000} s warm-up, then frames and bytes handed to the network in ` +
      `${windowMs / 1000} s of simulated time per block committed by node 0; seed ${seed}`,
  )
  write(
    '| n | blocks | txs/block | frames/block | KB/block | frames/validator/block | bytes/validator/block | ' +
      'consensus (per validator) | tx-batch (per validator) | other (per validator) | wall s |',
  )
  write('|---|---|---|---|---|---|---|---|---|---|---|')
  const perValidator = (
    row: ScalingRow,
    protocols: ReadonlyArray<keyof ScalingRow['perBlockByProtocol']>,
  ) => {
    const frames = protocols.reduce((sum, name) => sum + row.perBlockByProtocol[name].framesPerValidator, 0)
    const bytes = protocols.reduce((sum, name) => sum + row.perBlockByProtocol[name].bytesPerValidator, 0)
    return `${frames.toFixed(2)} / ${bytes.toFixed(0)} B`
  }
  let nextIndex = 0
  const progress = () => {
    const n = validatorCounts[nextIndex]
    if (n !== undefined) process.stderr.write(`scaling: n=${n} running (${seconds(startedMs)} s so far)\n`)
  }
  progress()
  const { rows, fits } = await scalingTable({
    seed,
    validatorCounts,
    windowMs,
    onRow: (row) => {
      const { perBlock } = row
      write(
        `| ${row.validators} | ${row.committedBlocks} | ${(row.committedTxs / row.committedBlocks).toFixed(2)} | ` +
          `${perBlock.frames.toFixed(1)} | ${(perBlock.bytes / 1024).toFixed(1)} | ` +
          `${perBlock.framesPerValidator.toFixed(2)} | ${perBlock.bytesPerValidator.toFixed(0)} | ` +
          `${perValidator(row, ['consensus'])} | ${perValidator(row, ['tx-batch'])} | ` +
          `${perValidator(row, ['tx', 'sync', 'evidence'])} | ${row.wallSeconds.toFixed(1)} |`,
      )
      for (const violation of row.violations) write(`  ${violation.kind}: ${violation.detail}`)
      nextIndex++
      progress()
    },
  })
  const line = (fit: LinearFit, digits: number) =>
    `${fit.slope.toFixed(digits)}·n + ${fit.intercept.toFixed(digits)} (R² ${fit.rSquared.toFixed(4)})`
  if (fits === null) write('fit: needs two different validator counts or more')
  else {
    write(`fit, per validator per committed block: frames = ${line(fits.framesPerValidator, 3)}`)
    write(`fit, per validator per committed block: bytes = ${line(fits.bytesPerValidator, 1)}`)
    write(
      `slopes: ${fits.framesPerValidator.slope.toFixed(3)} frames and ${fits.bytesPerValidator.slope.toFixed(1)} ` +
        'bytes per validator per block per added validator; the cluster total is n times the per-validator ' +
        'figure (votes go to every validator), so it grows as n²',
    )
  }
  await mkdir('bench-results', { recursive: true })
  const file = join('bench-results', `sim-scaling-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  const report = {
    seed,
    windowMs,
    warmupMs: scalingWarmupMsDefault,
    clients: scalingClientsDefault,
    rows,
    fits,
    wallSeconds: Number(seconds(startedMs)),
  }
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`)
  const failed = rows.filter((row) => row.violations.length > 0)
  write(
    `scaling: ${rows.length} runs, ${failed.length} with violations, wall ${seconds(startedMs)} s; written to ${file}`,
  )
  for (const row of failed)
    write(
      `  reproduce: npm run sim -- --scaling --validators ${row.validators} --duration-ms ${windowMs} --seed ${seed}`,
    )
  return failed.length > 0 ? 1 : 0
}

/** Every fixture with f of n validators running it, in the random fault scenarios, `rounds` seeds each. */
async function fixturesMode(rounds: number): Promise<number> {
  const validatorCounts = (values.validators ?? '4,7')
    .split(',')
    .map((each) => integer(each, 'validators', 4))
  const startedMs = Date.now()
  let runs = 0
  let failed = 0
  for (const n of validatorCounts) {
    for (const [index, fixture] of byzantineNames.entries()) {
      for (let round = 0; round < rounds; round++) {
        const seed = fixtureSeed(n, index, round)
        const result = await runScenario({ seed, validators: n, fixture, commitRule })
        runs++
        if (result.violations.length === 0) continue
        failed++
        write(`FAIL fixture=${fixture} n=${n} seed=${seed} height=${result.committedHeight}${ruleFlag}`)
        for (const fault of result.faults) write(`  fault ${fault}`)
        for (const violation of result.violations.slice(0, 10))
          write(`  ${violation.kind}: ${violation.detail}`)
      }
      write(`fixture ${fixture} n=${n}: ${rounds} runs, ${seconds(startedMs)} s`)
    }
  }
  write(`fixtures (${commitRule}): ${runs} runs, ${failed} failed, wall ${seconds(startedMs)} s`)
  return failed > 0 ? 1 : 0
}

function commitRuleFlag(): CommitRule {
  const rule = asCommitRule(values['commit-rule'])
  if (rule !== undefined) return rule
  write(`unknown commit rule ${JSON.stringify(values['commit-rule'])}\n${usage}`)
  process.exit(2)
}

function seconds(sinceMs: number): string {
  return ((Date.now() - sinceMs) / 1000).toFixed(1)
}
