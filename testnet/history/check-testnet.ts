// `quorate check`'s work, for the CLI, scenarios and the web console: read a testnet's history, its honest
// validators' chains and (at a quiet height) balances, and run the checker on them.

import { join } from 'node:path'
import type { TestnetInfo } from '../info.js'
import { type ChainBlock, type ChainView, type ReadProgress, readBlocks, rpcChainView } from './chain-view.js'
import { checkHistory } from './checker.js'
import { addressesToBalance, type LedgerReading } from './conservation.js'
import { type HistoryContents, HistoryFormatError, readHistoryFile } from './history-file.js'
import { heightsOf, quietWaitMsDefault, readBalances, waitForQuietHeight } from './quiet-ledger.js'
import type { CheckReport } from './report.js'
import { readTestnetFile, validatorFixture } from './testnet-file.js'

export const historyFileName = 'history.jsonl'
/** Rounds of "quiet height, read up to it, read balances, still there?" before giving up on balances. */
export const quietAttemptsMax = 5
const statusTimeoutMs = 3_000

/** Something the user gave cannot be used: the testnet directory, the history, an index. */
export class CheckInputError extends Error {
  static override name = 'CheckInputError'
  override name = 'CheckInputError'
}

/** None of the validators to be trusted answered `status`. */
export class NoValidatorAnswersError extends Error {
  static override name = 'NoValidatorAnswersError'
  override name = 'NoValidatorAnswersError'
}

export interface CheckTestnetOptions {
  readonly dir: string
  /** Default DIR/history.jsonl. */
  readonly historyFile?: string
  /** Validators not to trust, besides those testnet.json says run a fixture. */
  readonly exclude?: readonly number[]
  readonly lastHealMs?: number
  readonly livenessBoundMs?: number
  /** How long to wait for the honest validators to settle at one height before reading balances. */
  readonly quietWaitMs?: number
  /** A line of progress now and then (long chain reads). */
  readonly onProgress?: (line: string) => void
  readonly signal?: AbortSignal
}

export async function checkTestnet(options: CheckTestnetOptions): Promise<CheckReport> {
  const historyFile = options.historyFile ?? join(options.dir, historyFileName)
  const info = await readTestnetFile(options.dir)
  const history = await readHistory(historyFile)
  const excluded = excludedValidators(info, options.exclude ?? [])
  const trusted = info.validators.filter((validator) => !excluded.includes(validator.index))
  if (trusted.length === 0) throw new CheckInputError('every validator is excluded: nothing to trust')
  const answering = await Promise.all(
    trusted.map((validator) =>
      rpcChainView(validator.index, validator.rpc, statusTimeoutMs)
        .height(signalOption(options))
        .then(
          () => true,
          () => false,
        ),
    ),
  )
  const views = trusted
    .filter((_, position) => answering[position])
    .map((validator) => rpcChainView(validator.index, validator.rpc))
  const notAnswering = trusted
    .filter((_, position) => !answering[position])
    .map((validator) => validator.index)
  if (views.length === 0) {
    throw new NoValidatorAnswersError(
      `no validator to trust answers (${trusted.map((validator) => validator.rpc).join(', ')})`,
    )
  }
  const { chains, ledger } = await readSettledChains(views, history, options)
  const verdict = checkHistory({
    history: history.records,
    chains: views.map((view) => ({ validator: view.validator, blocks: chains.get(view.validator)! })),
    ledger,
    ...(options.lastHealMs === undefined ? {} : { lastHealMs: options.lastHealMs }),
    ...(options.livenessBoundMs === undefined ? {} : { livenessBoundMs: options.livenessBoundMs }),
  })
  return {
    verdict,
    source: {
      testnet: options.dir,
      history: historyFile,
      torn_last_line: history.tornLastLine ?? null,
      validators_read: views.map((view) => view.validator),
      validators_excluded: excluded,
      validators_not_answering: notAnswering,
    },
  }
}

async function readHistory(path: string): Promise<HistoryContents> {
  try {
    return await readHistoryFile(path)
  } catch (error) {
    if (error instanceof HistoryFormatError) throw new CheckInputError(`history ${path}: ${error.message}`)
    const code = (error as NodeJS.ErrnoException).code
    if (code !== undefined) throw new CheckInputError(`cannot read the history ${path} (${code})`)
    throw error
  }
}

function excludedValidators(info: TestnetInfo, exclude: readonly number[]): number[] {
  for (const index of exclude) {
    if (info.validators[index] === undefined)
      throw new CheckInputError(
        `--exclude: the testnet has no validator ${index} (0..${info.validators.length - 1})`,
      )
  }
  const withFixture = info.validators.filter((validator) => validatorFixture(validator) !== null)
  return [...new Set([...exclude, ...withFixture.map((validator) => validator.index)])].sort((a, b) => a - b)
}

/**
 * Each view's blocks and, when the heights settle, the balances at that height: wait for a quiet height, read
 * the blocks up to it, read the balances, and keep them only if every height is still the same afterwards.
 */
async function readSettledChains(
  views: readonly ChainView[],
  history: HistoryContents,
  options: CheckTestnetOptions,
): Promise<{ chains: Map<number, ChainBlock[]>; ledger: LedgerReading }> {
  const chains = new Map(views.map((view) => [view.validator, [] as ChainBlock[]]))
  const extend = async (targets: ReadonlyMap<number, number>) => {
    for (const view of views) {
      const blocks = chains.get(view.validator)!
      const target = targets.get(view.validator)!
      const onProgress = progressPrinter(options.onProgress)
      blocks.push(
        ...(await readBlocks(view, blocks.length + 1, target, { ...signalOption(options), onProgress })),
      )
    }
  }
  const deadlineMs = Date.now() + (options.quietWaitMs ?? quietWaitMsDefault)
  const first = views[0]!
  const genesisBalances = await first.genesisAccounts(signalOption(options))
  let ledger: LedgerReading = { kind: 'not-quiet', detail: 'could not get a quiet height' }
  for (let attempt = 0; attempt < quietAttemptsMax; attempt++) {
    const quiet = await waitForQuietHeight(views, deadlineMs, signalOption(options))
    if (!quiet.quiet) {
      ledger = { kind: 'not-quiet', detail: quiet.detail }
      break
    }
    await extend(new Map(views.map((view) => [view.validator, quiet.height])))
    const read = [...chains].map(([validator, blocks]) => ({ validator, blocks }))
    const addresses = addressesToBalance(genesisBalances.keys(), history.records, read)
    const balances = await readBalances(first, addresses, signalOption(options))
    const after = await heightsOf(views, signalOption(options))
    if ([...after.values()].every((height) => height === quiet.height)) {
      return {
        chains,
        ledger: {
          kind: 'quiet',
          height: quiet.height,
          validator: first.validator,
          genesisBalances,
          balances,
        },
      }
    }
    ledger = { kind: 'not-quiet', detail: `the height moved past ${quiet.height} while balances were read` }
  }
  // Unsettled: every chain is still read, each up to where its validator is now.
  await extend(await heightsOf(views, signalOption(options)))
  return { chains, ledger }
}

/** Progress lines for reads of more than 1,000 blocks, at most one a second. */
function progressPrinter(print: ((line: string) => void) | undefined): (progress: ReadProgress) => void {
  let lastMs = 0
  return (progress) => {
    if (print === undefined || progress.total < 1_000) return
    const nowMs = Date.now()
    if (nowMs - lastMs < 1_000 && progress.read < progress.total) return
    lastMs = nowMs
    print(`validator ${progress.validator}: read ${progress.read} of ${progress.total} blocks`)
  }
}

function signalOption(options: { readonly signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal }
}
