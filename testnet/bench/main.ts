// `npm run bench -- [catch-up] [--blocks N] [--base-port P]`: benchmarks that print their figures.
import '../../node/polyfills.js'
import { parseArgs } from 'node:util'
import { benchCatchUp } from './catch-up.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { blocks: { type: 'string', default: '5000' }, 'base-port': { type: 'string', default: '36600' } },
})
const which = new Set(positionals.length === 0 ? ['catch-up'] : positionals)
const basePort = Number(values['base-port'])
if (which.has('catch-up')) await benchCatchUp({ blocks: Number(values.blocks), basePort })
if (which.has('flood')) await (await import('./flood.js')).benchFlood({ basePort })
