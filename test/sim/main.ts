// `npm run sim -- --seeds K [--validators N] [--seed S] [--twins M]`: seeded simulation sweeps. Every run checks
// agreement, validity, no honest equivocation, exactly-once transfers and liveness after the faults heal; a
// failure prints the seed and the command that replays it, and the process exits 1.
import { parseArgs } from 'node:util'
import { runScenario } from './scenario.js'
import { runTwins, twinsScenario } from './twins.js'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    seed: { type: 'string' },
    validators: { type: 'string' },
    twins: { type: 'string', default: '0' },
    'first-seed': { type: 'string', default: '1' },
  },
})

const write = (line: string) => process.stdout.write(`${line}\n`)
const count = values.seed === undefined ? Number(values.seeds) : 1
const firstSeed = values.seed === undefined ? Number(values['first-seed']) : Number(values.seed)
const validators = values.validators === undefined ? undefined : Number(values.validators)
const twins = Number(values.twins)
if (
  !Number.isSafeInteger(count) ||
  count < 0 ||
  !Number.isSafeInteger(firstSeed) ||
  !Number.isSafeInteger(twins)
) {
  write('usage: npm run sim -- --seeds K [--validators N] [--seed S] [--first-seed S] [--twins M]')
  process.exit(2)
}

let failures = 0
const startedMs = Date.now()
if (count > 0) {
  let views = 0
  let powerCuts = 0
  const recovery: number[] = []
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i
    const result = await runScenario({ seed, ...(validators === undefined ? {} : { validators }) })
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
        failures++
        write(`  reproduce: npm run sim -- --seed ${seed} --validators ${result.validators}`)
      }
    }
    if ((i + 1) % 50 === 0)
      write(
        `progress: ${i + 1}/${count} runs, ${failures} failed, ${((Date.now() - startedMs) / 1000).toFixed(0)} s`,
      )
  }
  recovery.sort((a, b) => a - b)
  const median = recovery[Math.floor(recovery.length / 2)] ?? 0
  write(
    `scenarios: ${count} runs (${powerCuts} with a power cut), ${failures} failed, ${views} simulated views, ` +
      `views to recover after heal: median ${median}, max ${recovery.at(-1) ?? 0}, wall ${((Date.now() - startedMs) / 1000).toFixed(1)} s`,
  )
}

if (twins > 0) {
  const twinsStartedMs = Date.now()
  let twinFailures = 0
  for (let i = 0; i < twins; i++) {
    const seed = firstSeed + i
    const result = await runTwins(twinsScenario(seed))
    if (result.violations.length > 0) {
      twinFailures++
      write(
        `FAIL twins seed=${seed} twinned=${result.scenario.twinned} rounds=${JSON.stringify(result.scenario.rounds)}`,
      )
      for (const violation of result.violations) write(`  ${violation.kind}: ${violation.detail}`)
      write(`  reproduce: npm run sim -- --seeds 0 --twins 1 --first-seed ${seed}`)
    }
    if ((i + 1) % 500 === 0)
      write(
        `twins progress: ${i + 1}/${twins}, ${twinFailures} failed, ${((Date.now() - twinsStartedMs) / 1000).toFixed(0)} s`,
      )
  }
  write(
    `twins: ${twins} scenarios (n=4, one twin), ${twinFailures} failed, wall ${((Date.now() - twinsStartedMs) / 1000).toFixed(1)} s`,
  )
  failures += twinFailures
}
process.exit(failures > 0 ? 1 : 0)
