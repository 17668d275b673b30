// `quorate start --home DIR`: run a validator until SIGINT or SIGTERM (exit code 0), or until it stops on a
// broken invariant (exit code 1).

import { type Command, Option } from 'commander'
import { homePaths, type LogLevel, loadConfigFile, logLevels } from '../config.js'
import type { Logger } from '../logger.js'
import type { NodeOptions } from '../node.js'
import { homeFrom, homeOption } from './env.js'

export interface StartOptions {
  readonly home?: string
  readonly byzantine?: string
  /** Overrides config.json's log_level. */
  readonly logLevel?: LogLevel
  /** Shut down when stdin closes: the testnet runner's pipe, so validators never outlive it. */
  readonly exitWithStdin?: boolean
}

export async function start(options: StartOptions): Promise<void> {
  const home = homeFrom(options.home)
  const logger = await validatorLogger(home, options.logLevel)
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
    await runUntilStopped(home, { logger, ...byzantine })
  } finally {
    stopWatchingStdin()
  }
}

/** The validator's logger: config.json's log_level unless --log-level overrides it, named by the moniker. */
export async function validatorLogger(home: string, logLevel: LogLevel | undefined): Promise<Logger> {
  const config = await loadConfigFile(homePaths(home).config)
  const { createLogger } = await import('../logger.js')
  return createLogger(logLevel ?? config.logLevel, config.moniker)
}

/** Runs the validator until SIGINT or SIGTERM, or until consensus stops on a broken invariant (exit code 1). */
async function runUntilStopped(home: string, options: NodeOptions): Promise<void> {
  // Imported here so that `quorate keys`, `tx` and `status` do not load libp2p and LevelDB.
  const { Node } = await import('../node.js')
  // Listening before the node opens, so that a signal while it starts (once its RPC port answers, say) still
  // closes it cleanly; a second signal kills it the default way.
  let stop = (): void => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const node = await Node.create(home, options)
    const watchdog = setInterval(() => {
      if (node.failure !== null) {
        process.exitCode = 1
        stop()
      }
    }, 250)
    watchdog.unref()
    await stopped
    clearInterval(watchdog)
    await node.close()
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

/** Turns the end of stdin into SIGTERM, which runUntilStopped already handles as a clean shutdown. */
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
    .addOption(homeOption('the validator home (genesis.json, config.json, key files, data/)'))
    .addOption(
      new Option('--log-level <level>', "log at this level, overriding config.json's log_level").choices(
        logLevels,
      ),
    )
    .option('--byzantine <name>', 'run as a malicious test fixture (testnet mode only)')
    .addOption(
      new Option('--exit-with-stdin', 'shut down when stdin closes (used by the testnet runner)').hideHelp(),
    )
    .action(async (options: StartOptions) => {
      await start(options)
    })
}
