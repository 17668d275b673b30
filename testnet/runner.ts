// `quorate testnet`: generate (or reuse) a local testnet, start every validator as its own OS process, write
// DIR/testnet.json, show live progress, and on SIGINT/SIGTERM/SIGHUP stop every validator and return.

import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { printLine } from '../node/cli/output.js'
import { rpcCall } from '../node/rpc/client.js'
import { type GenerateTestnetOptions, generateTestnet, TestnetError, type TestnetLayout } from './generate.js'
import { type TestnetInfo, testnetInfo, writeTestnetInfo } from './info.js'
import { type RunningLab, startLab } from './lab/start-lab.js'
import { findBusyPort } from './ports.js'
import { type ValidatorProcess, ValidatorProcessGroup } from './processes.js'
import { watchProgress } from './progress.js'

export const readyTimeoutMs = 60_000
const readyPollIntervalMs = 200
const logTailLineCount = 20

export interface StartTestnetOptions extends GenerateTestnetOptions {
  /** The compiled CLI that runs `start`; defaults to dist/node/cli/main.js of this build. */
  readonly cliPath?: string
  /** Validator index → malicious fixture name, passed as `quorate start --byzantine NAME`. */
  readonly byzantine?: Readonly<Record<number, string>>
  /** How long to wait for every validator's RPC to answer `status` before giving up. */
  readonly readyTimeoutMs?: number
  /** Aborting it during startup stops what was started and rejects with TestnetStartAbortedError. */
  readonly signal?: AbortSignal
}

export class TestnetStartAbortedError extends Error {
  static override name = 'TestnetStartAbortedError'
  override name = 'TestnetStartAbortedError'
}

export interface RunningTestnet {
  readonly info: TestnetInfo
  readonly layout: TestnetLayout
  readonly processes: ValidatorProcessGroup
  /** The compiled CLI each validator process runs. */
  readonly cliPath: string
  /** Where testnet.json was written. */
  readonly infoFile: string
  /**
   * Starts validator `index` again from its home (after `processes.stopOne`): as the testnet started it, as
   * `fixture`, or honest when `fixture` is null.
   */
  restart(index: number, fixture?: string | null): Promise<ValidatorProcess>
  /** SIGTERM to every validator, SIGKILL after 5 s; removes nothing. */
  stop(): Promise<void>
}

/** Starts a testnet and resolves once every validator's RPC answers. On failure nothing is left running. */
export async function startTestnet(options: StartTestnetOptions): Promise<RunningTestnet> {
  const cliPath = options.cliPath ?? defaultCliPath()
  if (!existsSync(cliPath)) throw new TestnetError(`${cliPath} does not exist; run \`npm run build\` first`)
  const layout = await generateTestnet(options)
  const ports = layout.validators.flatMap((validator) => [validator.p2pPort, validator.rpcPort])
  const busyPort = await findBusyPort(ports)
  if (busyPort !== undefined) {
    throw new TestnetError(
      `port ${busyPort} on 127.0.0.1 is in use (is another testnet running?); stop it or choose --base-port`,
    )
  }
  const processes = new ValidatorProcessGroup()
  const spawnValidator = (index: number, fixture?: string | null) => {
    const validator = layout.validators[index]
    if (validator === undefined) throw new TestnetError(`the testnet has no validator ${index}`)
    const byzantine = fixture === undefined ? options.byzantine?.[index] : (fixture ?? undefined)
    return processes.spawn({
      index,
      cliPath,
      home: validator.home,
      logFile: validator.logFile,
      ...(byzantine === undefined ? {} : { byzantine }),
    })
  }
  try {
    const pids = new Map<number, number>()
    for (const validator of layout.validators) {
      const child = await spawnValidator(validator.index)
      pids.set(validator.index, child.pid)
    }
    const info = testnetInfo(
      layout,
      pids,
      new Map(Object.entries(options.byzantine ?? {}).map(([i, name]) => [Number(i), name])),
    )
    const infoFile = await writeTestnetInfo(layout.dir, info)
    await waitUntilReady(layout, processes, options.readyTimeoutMs ?? readyTimeoutMs, options.signal)
    return {
      info,
      layout,
      processes,
      cliPath,
      infoFile,
      restart: spawnValidator,
      stop: () => processes.stop(),
    }
  } catch (error) {
    await processes.stop()
    throw error
  }
}

export interface RunTestnetOptions extends StartTestnetOptions {
  /** The fault lab's console on 127.0.0.1 (default: the base port + 9; 0: any free port). */
  readonly consolePort?: number
}

/** Validator 0's block of ports has 10; the console takes the last. */
export const consolePortOffset = 9

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * The CLI command: runs until SIGINT, SIGTERM or SIGHUP (or `options.signal` aborts), then stops every
 * validator and resolves.
 */
export async function runTestnet(options: RunTestnetOptions): Promise<void> {
  const stopRequested = new AbortController()
  const onSignal = (): void => stopRequested.abort()
  for (const signal of stopSignals) process.on(signal, onSignal)
  options.signal?.addEventListener('abort', onSignal, { once: true })
  try {
    printLine(`starting a testnet in ${options.dir} ...`)
    let testnet: RunningTestnet
    try {
      testnet = await startTestnet({ ...options, signal: stopRequested.signal })
    } catch (error) {
      if (error instanceof TestnetStartAbortedError) {
        printLine('stopped while starting')
        return
      }
      throw error
    }
    const { layout, info } = testnet
    // A second Ctrl-C while stopping means "now": no more waiting for graceful shutdowns.
    const onSecondSignal = (): void => testnet.processes.killAllNow()
    let lab: RunningLab | undefined
    try {
      lab = await startLab(testnet, options.consolePort ?? layout.basePort + consolePortOffset)
      printLine(
        `${layout.reused ? 'restarted the existing' : 'generated a new'} testnet: chain ${info.chain_id}, ` +
          `${info.validators.length} validators, ${info.accounts.length} funded accounts (${testnet.infoFile})`,
      )
      for (const validator of info.validators) {
        printLine(
          `validator ${validator.index}: rpc ${validator.rpc}  metrics ${validator.metrics}  pid ${validator.pid}  ` +
            `log ${validator.log_file}`,
        )
      }
      for (const account of info.accounts) printLine(`account: ${account.address}  key ${account.key_file}`)
      printLine(
        `console: ${lab.server.consoleUrl}  (controls: quorate testnet ctl --dir ${layout.dir} --help)`,
      )
      printLine('press Ctrl-C to stop')
      const runningLab = lab
      runningLab.lab.onChange((event) => {
        if (event !== undefined && !stopRequested.signal.aborted) printLine(`lab: ${event.text}`)
      })
      await watchProgress({
        rpcUrls: info.validators.map((validator) => validator.rpc),
        signal: stopRequested.signal,
        print: printLine,
        onTick: (tick) => runningLab.lab.observe(tick),
        annotate: () => {
          const faults = runningLab.lab.faults()
          return faults.length === 0 ? '' : `faults: ${faults.join('; ')}`
        },
      })
    } finally {
      lab?.lab.close()
      await lab?.server.close()
      for (const signal of stopSignals) process.on(signal, onSecondSignal)
      printLine('stopping validators ...')
      await testnet.stop()
      for (const signal of stopSignals) process.off(signal, onSecondSignal)
      printLine(`stopped; data kept in ${layout.dir}`)
    }
  } finally {
    for (const signal of stopSignals) process.off(signal, onSignal)
    options.signal?.removeEventListener('abort', onSignal)
  }
}

/** dist/node/cli/main.js next to this module when compiled; the build output when run from source. */
export function defaultCliPath(): string {
  const here = fileURLToPath(import.meta.url)
  const compiled = here.endsWith('.js')
  return compiled
    ? join(dirname(here), '..', 'node', 'cli', 'main.js')
    : join(dirname(here), '..', 'dist', 'node', 'cli', 'main.js')
}

async function waitUntilReady(
  layout: TestnetLayout,
  processes: ValidatorProcessGroup,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const pending = new Set(layout.validators.map((validator) => validator.index))
  while (pending.size > 0) {
    if (signal?.aborted === true) throw new TestnetStartAbortedError('stopped while starting')
    for (const process of processes.processes) {
      if (!process.running && pending.has(process.index)) {
        throw new TestnetError(
          `validator ${process.index} exited during startup; last lines of its log:\n${await logTail(layout, process.index)}`,
        )
      }
    }
    await Promise.all(
      [...pending].map(async (index) => {
        const validator = layout.validators[index]!
        const answered = await rpcCall(validator.rpcUrl, 'status', {}, { timeoutMs: 1_000 }).then(
          () => true,
          () => false,
        )
        if (answered) pending.delete(index)
      }),
    )
    if (pending.size === 0) return
    if (Date.now() > deadline) {
      const index = [...pending][0]!
      throw new TestnetError(
        `validator ${index} did not answer on ${layout.validators[index]?.rpcUrl} within ${timeoutMs} ms; ` +
          `last lines of its log:\n${await logTail(layout, index)}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, readyPollIntervalMs))
  }
}

async function logTail(layout: TestnetLayout, index: number): Promise<string> {
  const logFile = layout.validators[index]?.logFile
  if (logFile === undefined) return ''
  const text = await readFile(logFile, 'utf8').catch(() => '')
  return text.trimEnd().split('\n').slice(-logTailLineCount).join('\n')
}
