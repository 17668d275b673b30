// `quorate scenario NAME` (`npm run scenario -- NAME`): runs a shipped scenario file on a fresh local testnet
// and prints its verdict (docs/fault-lab.md, "Scenarios"). Exit code 0 when it passed, 1 when it failed.

import type { Command } from 'commander'
import { parseByzantineName } from '../../testnet/byzantine/registry.js'
import { loadScenario, scenarioNames } from '../../testnet/lab/scenario-file.js'
import { runScenario } from '../../testnet/lab/scenario-run.js'
import { defaultBasePort } from '../../testnet/layout.js'
import { CliError, exitCodes } from './errors.js'
import { printLine } from './output.js'
import { parseInteger } from './parse.js'

export const defaultScenariosDir = '.scenarios'

export function registerScenario(program: Command): void {
  program
    .command('scenario')
    .argument('[name]', 'a scenario of testnet/scenarios/ (see --list)')
    .description(
      'start a fresh local testnet as the scenario file says, run its load and timed faults through the fault ' +
        'lab, then check the client history (acknowledged transactions committed once, rejected ones absent, ' +
        'balances conserved, honest validators in agreement, liveness after the last fault) and the ' +
        "scenario's expectations; prints the figures and writes DIR/verdict.json. Exit code 1 when it failed",
    )
    .option('--list', 'list the shipped scenarios with their descriptions', false)
    .option('--dir <dir>', `data directory, wiped first (default ${defaultScenariosDir}/NAME)`)
    .option(
      '--base-port <port>',
      'validator i listens on base+10i (p2p) and base+10i+1 (JSON-RPC)',
      String(defaultBasePort),
    )
    .option('--fixture <name>', 'for a scenario that sweeps every malicious fixture: only this one')
    .action(
      async (
        name: string | undefined,
        flags: { list: boolean; dir?: string; basePort: string; fixture?: string },
      ) => {
        if (flags.list || name === undefined) {
          for (const scenarioName of await scenarioNames()) {
            const scenario = await loadScenario(scenarioName)
            printLine(`${scenarioName.padEnd(28)} n=${scenario.validators}  ${scenario.description}`)
          }
          if (name === undefined && !flags.list) throw new CliError('name a scenario (the list is above)')
          return
        }
        const scenario = await loadScenario(name)
        if (flags.fixture !== undefined && scenario.eachFixture === undefined) {
          throw new CliError(`--fixture: scenario ${name} does not sweep the fixtures`)
        }
        const stop = new AbortController()
        const onSignal = (): void => stop.abort()
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        try {
          const verdicts = await runScenario({
            scenario,
            dir: flags.dir ?? `${defaultScenariosDir}/${name}`,
            basePort: parseInteger(flags.basePort, '--base-port', 1024, 65_535),
            ...(flags.fixture === undefined ? {} : { fixture: parseByzantineName(flags.fixture) }),
            print: printLine,
            signal: stop.signal,
          })
          const failed = verdicts.filter((verdict) => !verdict.passed)
          if (verdicts.length > 1)
            printLine(`${verdicts.length - failed.length} of ${verdicts.length} runs passed`)
          if (failed.length > 0) process.exitCode = exitCodes.failure
        } finally {
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
        }
      },
    )
}
