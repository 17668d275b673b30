// `quorate testnet ctl`: the fault lab's controls on a running testnet, through DIR/lab.sock
// (docs/fault-lab.md). Each subcommand posts one command and prints the faults injected afterwards.

import type { Command } from 'commander'
import { labCall } from '../../testnet/lab/lab-client.js'
import type { LabState } from '../../testnet/lab/lab-state.js'
import { labSocketPath } from '../../testnet/lab/start-lab.js'
import { defaultTestnetDir } from '../../testnet/layout.js'
import { CliError } from './errors.js'
import { printJson, printLine } from './output.js'
import { parseInteger } from './parse.js'

const validatorIndexMax = 63

export function registerTestnetCtl(testnet: Command): void {
  const ctl = testnet
    .command('ctl')
    .description(
      "inject faults into the testnet running in --dir, through its runner's socket DIR/lab.sock: kill, " +
        'restart (as a malicious fixture or honest), pause, resume, partition, heal, link delay and loss, clock ' +
        'skew; each prints the faults injected afterwards (docs/fault-lab.md)',
    )
    .option('--dir <dir>', 'the running testnet', defaultTestnetDir)
    .option('--json', 'print the lab state as JSON instead of the faults', false)
  const post = async (command: Command, body: Record<string, unknown>): Promise<void> => {
    const flags = command.optsWithGlobals<{ dir: string; json: boolean }>()
    report(await labCall(labSocketPath(flags.dir), 'POST', '/api/control', body), flags.json)
  }
  for (const [name, what] of [
    ['kill', 'SIGKILL validator V (a crash)'],
    ['pause', 'SIGSTOP validator V'],
    ['resume', 'SIGCONT validator V'],
  ] as const) {
    ctl
      .command(`${name} <V>`)
      .description(what)
      .action((v: string, _flags, command: Command) =>
        post(command, { command: name, validator: validatorIndex(v) }),
      )
  }
  ctl
    .command('restart <V>')
    .description(
      'start validator V again from its home (SIGKILL first if it runs): as it ran, --as FIXTURE, or --honest',
    )
    .option('--as <fixture>', 'run it as this malicious fixture (quorate start --byzantine)')
    .option('--honest', 'run it honest', false)
    .action((v: string, flags: { as?: string; honest: boolean }, command: Command) => {
      if (flags.as !== undefined && flags.honest) throw new CliError('--as and --honest: choose one')
      const fixture = flags.honest ? { fixture: null } : flags.as === undefined ? {} : { fixture: flags.as }
      return post(command, { command: 'restart', validator: validatorIndex(v), ...fixture })
    })
  ctl
    .command('partition <groups...>')
    .description(
      'cut every link between groups, both ways ("0,1 2,3"; unlisted validators are alone); with --one-way ' +
        'FROM TO: cut the links from each of FROM to each of TO only',
    )
    .option('--one-way', 'two groups: cut FROM → TO only', false)
    .action((groups: string[], flags: { oneWay: boolean }, command: Command) => {
      const lists = groups.map((group) => group.split(',').map(validatorIndex))
      if (!flags.oneWay) return post(command, { command: 'partition', groups: lists })
      if (lists.length !== 2)
        throw new CliError('--one-way: expected two groups, FROM and TO, such as "0 1,2,3"')
      return post(command, { command: 'partition', from: lists[0], to: lists[1] })
    })
  ctl
    .command('heal')
    .description('restore every link: cuts, delays and losses')
    .action((_flags, command: Command) => post(command, { command: 'heal' }))
  ctl
    .command('link <A> <B>')
    .description(
      'frames from A to B are held --delay-ms and lost with probability --drop; zeros restore the link',
    )
    .option('--delay-ms <ms>', 'delay per frame, 0..60000', '0')
    .option('--drop <p>', 'loss probability, 0..1', '0')
    .option('--both', 'also B to A', false)
    .action(
      (a: string, b: string, flags: { delayMs: string; drop: string; both: boolean }, command: Command) => {
        const dropRate = Number(flags.drop)
        if (flags.drop.trim() === '' || !(dropRate >= 0 && dropRate <= 1)) {
          throw new CliError(`--drop: expected a probability 0..1, got "${flags.drop}"`)
        }
        return post(command, {
          command: 'link',
          from: validatorIndex(a),
          to: validatorIndex(b),
          delay_ms: parseInteger(flags.delayMs, '--delay-ms', 0, 60_000),
          drop_rate: dropRate,
          both: flags.both,
        })
      },
    )
  ctl
    .command('skew <V> <ms>')
    .description("set validator V's clock MS ms ahead (negative: behind); 0 restores it")
    .action((v: string, ms: string, _flags, command: Command) => {
      if (!/^-?(?:0|[1-9][0-9]*)$/.test(ms) || Math.abs(Number(ms)) > 86_400_000) {
        throw new CliError(`MS: expected a whole number of ms within ±86400000, got "${ms}"`)
      }
      return post(command, { command: 'skew', validator: validatorIndex(v), ms: Number(ms) })
    })
  ctl
    .command('status')
    .description('each validator (process, fixture, height, view, health) and the faults injected now')
    .action(async (_flags, command: Command) => {
      const flags = command.optsWithGlobals<{ dir: string; json: boolean }>()
      const state = await labCall(labSocketPath(flags.dir), 'GET', '/api/state')
      if (flags.json) {
        printJson(state)
        return
      }
      for (const validator of state.validators) {
        const status = validator.status
        printLine(
          `validator ${validator.index}: ${validator.process}${validator.fixture === null ? '' : ` as ${validator.fixture}`}` +
            (status === undefined
              ? ' (not answering)'
              : ` h=${status.height} view=${status.view} peers=${status.peers ?? '?'}`) +
            (validator.clock_skew_ms === 0 ? '' : ` clock ${validator.clock_skew_ms} ms`),
        )
      }
      report(state, false)
    })
}

function validatorIndex(text: string): number {
  return parseInteger(text, 'validator', 0, validatorIndexMax)
}

function report(state: LabState, json: boolean): void {
  if (json) printJson(state)
  else printLine(state.faults.length === 0 ? 'faults: none' : `faults: ${state.faults.join('; ')}`)
}
