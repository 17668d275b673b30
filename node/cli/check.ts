// `quorate check --testnet DIR`: the client-history checker (testnet/history/, docs/fault-lab.md "The history
// checker"). Prints one PASS/FAIL line per check (or the verdict as JSON) and exits 0 when all pass, 1 when one
// fails.

import type { Command } from 'commander'
import { ChainReadError } from '../../testnet/history/chain-view.js'
import {
  CheckInputError,
  checkTestnet,
  NoValidatorAnswersError,
} from '../../testnet/history/check-testnet.js'
import { defaultLivenessBoundMs } from '../../testnet/history/checker.js'
import { quietWaitMsDefault } from '../../testnet/history/quiet-ledger.js'
import { reportJson, reportText } from '../../testnet/history/report.js'
import { TestnetFileError } from '../../testnet/history/testnet-file.js'
import { testnetValidatorCountMax } from '../../testnet/layout.js'
import { RpcTransportError } from '../rpc/client.js'
import { CliError, exitCodes, UnexpectedAnswerError } from './errors.js'
import { printJson, printLine } from './output.js'
import { parseInteger } from './parse.js'

interface CheckFlags {
  readonly testnet: string
  readonly history?: string
  readonly exclude?: string
  readonly lastHealMs?: string
  readonly livenessBoundMs: string
  readonly json: boolean
}

const checkExitCodes = `
Exit codes:
  ${exitCodes.ok}  every check passed
  ${exitCodes.failure}  a check failed (or a validator answered something unreadable)
  ${exitCodes.badInput}  bad input: a flag, testnet.json, or a malformed history line (named by number)
  ${exitCodes.unreachable}  no validator to trust answers (or one stopped answering during the check)`

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'check a client history (DIR/history.jsonl unless --history; the fault lab load generator records one) ' +
        "against the chains of the validators to trust: they agree on every height's block hash and state " +
        'root, every acknowledged transaction is committed exactly once and at the height its answer named, ' +
        'no rejected one is committed and no unknown one twice, the balances (read once the heights settle, ' +
        `waiting up to ${quietWaitMsDefault / 1_000} s) add up to the genesis total, and with --last-heal-ms ` +
        'a transaction sent after the heal is acknowledged within --liveness-bound-ms',
    )
    .requiredOption('--testnet <dir>', 'the testnet directory (the one holding testnet.json)')
    .option('--history <file>', 'the history file (default: DIR/history.jsonl)')
    .option(
      '--exclude <indexes>',
      'validators not to trust, comma-separated (e.g. 3,5), besides those testnet.json says run a malicious fixture',
    )
    .option(
      '--last-heal-ms <epoch-ms>',
      'when the last fault was healed (ms since the epoch); enables `liveness`',
    )
    .option(
      '--liveness-bound-ms <ms>',
      'how soon after the heal a transaction sent after it must be acknowledged (with --last-heal-ms)',
      String(defaultLivenessBoundMs),
    )
    .option('--json', 'print the verdict as JSON instead of text', false)
    .addHelpText('after', checkExitCodes)
    .action(async (flags: CheckFlags) => {
      const lastHealMs = flags.lastHealMs
      const report = await checkTestnet({
        dir: flags.testnet,
        ...(flags.history === undefined ? {} : { historyFile: flags.history }),
        exclude: flags.exclude === undefined ? [] : parseIndexes(flags.exclude),
        ...(lastHealMs === undefined
          ? {}
          : { lastHealMs: parseInteger(lastHealMs, '--last-heal-ms', 0, Number.MAX_SAFE_INTEGER) }),
        livenessBoundMs: parseInteger(
          flags.livenessBoundMs,
          '--liveness-bound-ms',
          0,
          Number.MAX_SAFE_INTEGER,
        ),
        onProgress: (line) => console.error(line),
      }).catch(asCliError)
      if (flags.json) printJson(reportJson(report))
      else printLine(reportText(report))
      if (!report.verdict.ok) process.exitCode = exitCodes.failure
    })
}

function parseIndexes(text: string): number[] {
  return text
    .split(',')
    .map((part) => parseInteger(part.trim(), '--exclude', 0, testnetValidatorCountMax - 1))
}

/** The history tools' errors as the CLI's, so they get its exit codes and one-line messages. */
function asCliError(error: unknown): never {
  if (error instanceof CheckInputError || error instanceof TestnetFileError) throw new CliError(error.message)
  if (error instanceof NoValidatorAnswersError) throw new RpcTransportError(error.message)
  if (error instanceof ChainReadError) throw new UnexpectedAnswerError(error.message)
  throw error
}
