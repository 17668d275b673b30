// `npm run bench -- [catch-up] [flood] [--blocks N] [--base-port P]`: benchmarks that print their figures
// (both when none is named). Built with tsconfig.bench.json (the product plus test/bench)
// into dist/, and run from there: a worker thread needs compiled JavaScript.
import '../../node/polyfills.js'
import { parseArgs } from 'node:util'
import { benchCatchUp } from './catch-up.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { blocks: { type: 'string', default: '5000' }, 'base-port': { type: 'string', default: '36600' } },
})
const benches = ['catch-up', 'flood']
const which = new Set(positionals.length === 0 ? benches : positionals)
const unknown = [...which].filter((name) => !benches.includes(name))
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${benches.join(', ')}`)
  process.exit(2)
}
const basePort = Number(values['base-port'])
if (which.has('catch-up')) await benchCatchUp({ blocks: Number(values.blocks), basePort })
if (which.has('flood')) await (await import('./flood.js')).benchFlood({ basePort })
