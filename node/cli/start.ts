// `quorate start --home DIR`: run a validator until SIGINT or SIGTERM.

import { resolve } from 'node:path'
import { type Command, Option } from 'commander'

export interface StartOptions {
  readonly home: string
  readonly byzantine?: string
  /** Shut down when stdin closes: the testnet runner's pipe, so validators never outlive it. */
  readonly exitWithStdin?: boolean
}

export async function start(options: StartOptions): Promise<void> {
  // Imported here so that `quorate keys`, `tx` and `status` do not load libp2p and LevelDB.
  const { runValidator } = await import('../run.js')
  // The CLI is the composition root: the one place in node/ that reaches into testnet/, for the fixtures.
  const byzantine =
    options.byzantine === undefined
      ? {}
      : await import('../../testnet/byzantine/index.js').then(
          ({ byzantineFixtures, parseByzantineName }) => ({
            byzantine: byzantineFixtures[parseByzantineName(options.byzantine!)],
          }),
        )
  const stopWatchingStdin = options.exitWithStdin === true ? exitWhenStdinCloses() : () => {}
  try {
    await runValidator(resolve(options.home), byzantine)
  } finally {
    stopWatchingStdin()
  }
}

/** Turns the end of stdin into SIGTERM, which runValidator already handles as a clean shutdown. */
function exitWhenStdinCloses(): () => void {
  const onEnd = (): void => {
    process.kill(process.pid, 'SIGTERM')
  }
  process.stdin.on('end', onEnd)
  process.stdin.on('error', onEnd)
  process.stdin.resume()
  return () => {
    process.stdin.off('end', onEnd)
    process.stdin.off('error', onEnd)
    process.stdin.destroy()
  }
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run a validator from its home directory until SIGINT or SIGTERM')
    .requiredOption('--home <dir>', 'the validator home (genesis.json, config.json, key files, data/)')
    .option('--byzantine <name>', 'run as a malicious test fixture (testnet mode only)')
    .addOption(
      new Option('--exit-with-stdin', 'shut down when stdin closes (used by the testnet runner)').hideHelp(),
    )
    .action(async (options: StartOptions) => {
      await start(options)
    })
}
