// `npm run bench -- [catch-up] [flood] [harm] [load] [leader-crash] [soak] [--blocks N] [--base-port P]
// [--duration-ms D] [--fixture NAME] [--clients C] [--validators N] [--warmup-ms W] [--idle-ms I]
// [--ceiling-ms M] [--etcd-results FILE] [--trials T] [--settle-ms S] [--victim current|next] [--load-share F]
// [--saturation-ms M] [--commit-rule two-chain|three-chain]`:
// benchmarks that print their figures (every one when none is named). Built with tsconfig.bench.json (the
// product plus test/bench) into dist/, and run from there: a worker thread needs compiled JavaScript.
// --clients is one count for harm (default 16), leader-crash (16) and soak (256), and a comma-separated list of
// levels for load (default 1,16,64,256); --duration-ms is harm's measured time (default 20000), load's per
// level (default 15000) and soak's (default 600000); --warmup-ms is load's per level (1000), leader-crash's
// before its first trial (3000) and soak's before its window (30000); --commit-rule is load's testnet genesis
// rule (default two-chain, as new testnets get).
import '../../node/polyfills.js'
import { parseArgs } from 'node:util'
import { asCommitRule, type CommitRule, commitRules } from '../../ledger/commit-rule.js'
import { defaultConsensusParams } from '../../ledger/genesis.js'
import { isByzantineName } from '../../testnet/byzantine/index.js'
import { benchCatchUp } from './catch-up.js'

const usage = `usage: npm run bench -- [catch-up] [flood] [harm] [load] [leader-crash] [soak] [options]

Benchmarks with real validator processes; each prints its figures (every one when none is named).
  --clients C          harm, leader-crash, soak: one count (16, 16, 256); load: a list (1,16,64,256)
  --duration-ms D      harm's measured time (20000), load's per level (15000), soak's window (600000)
  --warmup-ms W        load's per level (1000), leader-crash's before its first trial (3000), soak's (30000)
  --validators N       testnet size (4)
  --idle-ms I          load: the idle measurement after the levels (60000)
  --ceiling-ms M       load: the Ed25519 ceiling's async phase (3000)
  --etcd-results FILE  load: etcd's figures from ../shared/reference/etcd/run.sh beside Quorate's
  --commit-rule R      load: two-chain (default) or three-chain
  --fixture NAME       harm: one malicious fixture instead of all
  --trials T           leader-crash: kills (10)
  --victim V           leader-crash: current (default) or next leader
  --settle-ms S        leader-crash: wait after each catch-up (2000)
  --load-share F       soak: the share of the saturated rate offered (0.5)
  --saturation-ms M    soak: the saturation level's window (10000)
  --blocks N           catch-up: chain length (5000)
  --base-port P        first port of the testnet (36600)
Results are printed and written as JSON to bench-results/ (docs/performance.md).`

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    blocks: { type: 'string', default: '5000' },
    'base-port': { type: 'string', default: '36600' },
    'duration-ms': { type: 'string' },
    clients: { type: 'string' },
    fixture: { type: 'string' },
    validators: { type: 'string' },
    'warmup-ms': { type: 'string' },
    'idle-ms': { type: 'string' },
    'ceiling-ms': { type: 'string' },
    'etcd-results': { type: 'string' },
    trials: { type: 'string' },
    'settle-ms': { type: 'string' },
    'load-share': { type: 'string' },
    'commit-rule': { type: 'string' },
    'saturation-ms': { type: 'string' },
    victim: { type: 'string' },
  },
})
const benches = ['catch-up', 'flood', 'harm', 'load', 'leader-crash', 'soak']
const which = new Set(positionals.length === 0 ? benches : positionals)
const unknown = [...which].filter((name) => !benches.includes(name))
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${benches.join(', ')}`)
  process.exit(2)
}
const fixture = values.fixture
if (fixture !== undefined && !isByzantineName(fixture)) {
  console.error(`unknown fixture ${JSON.stringify(fixture)}`)
  process.exit(2)
}

/** A whole number in [min, max], or the default when the option is absent; exits with a message otherwise. */
function wholeNumber(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    console.error(`--${name}: expected a whole number in ${min}..${max}, got ${JSON.stringify(text)}`)
    process.exit(2)
  }
  return value
}

/** The genesis commit rule of the bench testnet (load only): new testnets' default unless given. */
function commitRuleOption(): CommitRule {
  const text = values['commit-rule'] ?? defaultConsensusParams.commitRule
  const rule = asCommitRule(text)
  if (rule === undefined) {
    console.error(`--commit-rule: expected ${commitRules.join(' or ')}, got ${JSON.stringify(text)}`)
    process.exit(2)
  }
  return rule
}

/** A number in (0, 1], or the default when the option is absent; exits with a message otherwise. */
function share(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    console.error(`--${name}: expected a number above 0 and at most 1, got ${JSON.stringify(text)}`)
    process.exit(2)
  }
  return value
}

const basePort = wholeNumber('base-port', values['base-port'], 36600, 1024, 65_000)
if (which.has('catch-up')) await benchCatchUp({ blocks: Number(values.blocks), basePort })
if (which.has('flood')) await (await import('./flood.js')).benchFlood({ basePort })
if (which.has('harm')) {
  await (await import('./harm.js')).benchHarm({
    basePort,
    durationMs: wholeNumber('duration-ms', values['duration-ms'], 20_000, 1, 3_600_000),
    clients: wholeNumber('clients', values.clients, 16, 1, 10_000),
    ...(fixture === undefined ? {} : { fixtures: [fixture] }),
  })
}
if (which.has('load')) {
  const { benchLoad, benchLoadDefaults } = await import('./load.js')
  const clients =
    values.clients === undefined
      ? benchLoadDefaults.clients
      : values.clients.split(',').map((count) => wholeNumber('clients', count.trim(), 1, 1, 10_000))
  const etcdResultsFile = values['etcd-results']
  await benchLoad({
    basePort,
    validators: wholeNumber('validators', values.validators, benchLoadDefaults.validators, 1, 64),
    clients,
    durationMs: wholeNumber(
      'duration-ms',
      values['duration-ms'],
      benchLoadDefaults.durationMs,
      100,
      3_600_000,
    ),
    warmupMs: wholeNumber('warmup-ms', values['warmup-ms'], benchLoadDefaults.warmupMs, 0, 600_000),
    idleMs: wholeNumber('idle-ms', values['idle-ms'], benchLoadDefaults.idleMs, 100, 3_600_000),
    ceilingMs: wholeNumber('ceiling-ms', values['ceiling-ms'], benchLoadDefaults.ceilingMs, 100, 600_000),
    resultsDir: benchLoadDefaults.resultsDir,
    commitRule: commitRuleOption(),
    print: (line) => process.stdout.write(`${line}\n`),
    ...(etcdResultsFile === undefined ? {} : { etcdResultsFile }),
  })
}
if (which.has('leader-crash')) {
  const { benchLeaderCrash, benchLeaderCrashDefaults: defaults } = await import('./leader-crash.js')
  const { victimRules } = await import('./leader-crash/trial.js')
  const victim = victimRules.find((rule) => rule === (values.victim ?? defaults.victim))
  if (victim === undefined) {
    console.error(`--victim: expected one of ${victimRules.join(', ')}, got ${JSON.stringify(values.victim)}`)
    process.exit(2)
  }
  await benchLeaderCrash({
    basePort,
    validators: wholeNumber('validators', values.validators, defaults.validators, 4, 64),
    clients: wholeNumber('clients', values.clients, defaults.clients, 1, 10_000),
    trials: wholeNumber('trials', values.trials, defaults.trials, 1, 1_000),
    warmupMs: wholeNumber('warmup-ms', values['warmup-ms'], defaults.warmupMs, 0, 600_000),
    settleMs: wholeNumber('settle-ms', values['settle-ms'], defaults.settleMs, 0, 600_000),
    pollIntervalMs: defaults.pollIntervalMs,
    victim,
    resultsDir: defaults.resultsDir,
    print: (line) => process.stdout.write(`${line}\n`),
  })
}
if (which.has('soak')) {
  const { benchSoak, benchSoakDefaults: defaults } = await import('./soak.js')
  await benchSoak({
    basePort,
    validators: wholeNumber('validators', values.validators, defaults.validators, 1, 64),
    clients: wholeNumber('clients', values.clients, defaults.clients, 1, 10_000),
    durationMs: wholeNumber('duration-ms', values['duration-ms'], defaults.durationMs, 1_000, 86_400_000),
    warmupMs: wholeNumber('warmup-ms', values['warmup-ms'], defaults.warmupMs, 0, 3_600_000),
    loadShare: share('load-share', values['load-share'], defaults.loadShare),
    saturationMs: wholeNumber(
      'saturation-ms',
      values['saturation-ms'],
      defaults.saturationMs,
      1_000,
      600_000,
    ),
    saturationWarmupMs: defaults.saturationWarmupMs,
    sampleIntervalMs: defaults.sampleIntervalMs,
    resultsDir: defaults.resultsDir,
    print: (line) => process.stdout.write(`${line}\n`),
  })
}
