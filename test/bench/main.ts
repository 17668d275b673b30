// `npm run bench -- [catch-up] [flood] [harm] [load] [--blocks N] [--base-port P] [--duration-ms D]
// [--fixture NAME] [--clients C] [--validators N] [--warmup-ms W] [--idle-ms I] [--ceiling-ms M]
// [--etcd-results FILE]`: benchmarks that print their figures (every one when none is named). Built with
// tsconfig.bench.json (the product plus test/bench) into dist/, and run from there: a worker thread needs
// compiled JavaScript. --clients is one count for harm (default 16) and a comma-separated list of levels for
// load (default 1,16,64,256); --duration-ms is harm's measured time (default 20000) and load's per level
// (default 15000).
import '../../node/polyfills.js'
import { parseArgs } from 'node:util'
import { isByzantineName } from '../../testnet/byzantine/index.js'
import { benchCatchUp } from './catch-up.js'

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
  },
})
const benches = ['catch-up', 'flood', 'harm', 'load']
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
    print: (line) => process.stdout.write(`${line}\n`),
    ...(etcdResultsFile === undefined ? {} : { etcdResultsFile }),
  })
}
