// `npm run bench -- [catch-up] [flood] [harm] [--blocks N] [--base-port P] [--duration-ms D] [--fixture NAME]
// [--clients C]`: benchmarks that print their figures (every one when none is named). Built with
// tsconfig.bench.json (the product plus test/bench) into dist/, and run from there: a worker thread needs
// compiled JavaScript.
import '../../node/polyfills.js'
import { parseArgs } from 'node:util'
import { isByzantineName } from '../../testnet/byzantine/index.js'
import { benchCatchUp } from './catch-up.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    blocks: { type: 'string', default: '5000' },
    'base-port': { type: 'string', default: '36600' },
    'duration-ms': { type: 'string', default: '20000' },
    clients: { type: 'string', default: '16' },
    fixture: { type: 'string' },
  },
})
const benches = ['catch-up', 'flood', 'harm']
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
const basePort = Number(values['base-port'])
if (which.has('catch-up')) await benchCatchUp({ blocks: Number(values.blocks), basePort })
if (which.has('flood')) await (await import('./flood.js')).benchFlood({ basePort })
if (which.has('harm')) {
  await (await import('./harm.js')).benchHarm({
    basePort,
    durationMs: Number(values['duration-ms']),
    clients: Number(values.clients),
    ...(fixture === undefined ? {} : { fixtures: [fixture] }),
  })
}
