// The load generator: its own OS process, so the CPU it spends signing and parsing is not counted as the
// validators'. `node generator.js TESTNET_JSON [REQUEST_TIMEOUT_MS]` reads the testnet (validators' RPC URLs,
// funded accounts' key files), answers `ready`, then runs each `level` command read on stdin: that many
// closed-loop clients, client i with account i, pinned round-robin to validator i mod n over a keep-alive
// connection; with a `rate`, the clients share one schedule of send slots (rate-pacer.ts). A `stop` line ends
// the running level early (its window closes then). Events go to stdout as JSON lines (protocol.ts);
// diagnostics to stderr. Exits on `quit` or when stdin closes (the bench is gone).

import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fromHex, readKeyFile } from '../../../crypto/index.js'
import { rpcCommitWaitMs } from '../../../ledger/limits.js'
import type { TestnetInfo } from '../../../testnet/info.js'
import { type ClientAccount, runClient } from './closed-loop-client.js'
import { keepAliveEndpoint } from './keep-alive-rpc.js'
import { LevelTally } from './level-tally.js'
import {
  decodeCommand,
  encodeLine,
  type GeneratorCommand,
  type GeneratorEvent,
  type LevelCommand,
} from './protocol.js'
import { RatePacer } from './rate-pacer.js'

const progressIntervalMs = 500
/** A little over the node's own commit wait, so broadcast_tx_commit answers "not committed in time" itself. */
const requestTimeoutMsDefault = rpcCommitWaitMs + 5_000

const emit = (event: GeneratorEvent): void => {
  process.stdout.write(encodeLine(event))
}

async function main(): Promise<void> {
  const infoFile = process.argv[2]
  if (infoFile === undefined) throw new Error('usage: generator TESTNET_JSON [REQUEST_TIMEOUT_MS]')
  const requestTimeoutMs = Number(process.argv[3] ?? requestTimeoutMsDefault)
  const info = JSON.parse(await readFile(infoFile, 'utf8')) as TestnetInfo
  const accounts: ClientAccount[] = await Promise.all(
    info.accounts.map(async (account, index) => ({
      keys: await readKeyFile(account.key_file),
      address: account.address,
      to: fromHex(info.accounts[(index + 1) % info.accounts.length]!.address, 32),
      nextNonce: undefined,
      pendingTxHex: undefined,
    })),
  )
  const rpcs = info.validators.map((validator) => validator.rpc)
  emit({ type: 'ready', accounts: accounts.length })

  const commands = new CommandQueue()
  for (;;) {
    const command = await commands.next()
    if (command.type === 'quit') break
    if (command.type === 'stop') continue
    if (command.clients > accounts.length) {
      throw new Error(
        `${command.clients} clients need as many funded accounts; the testnet has ${accounts.length}`,
      )
    }
    emit({
      type: 'level-done',
      summary: await runLevel(command, commands, info.chain_id, rpcs, accounts, requestTimeoutMs),
    })
  }
}

/**
 * Commands from stdin, read while a level runs: a `stop` reaches the running level at once, the others wait
 * their turn. A closed stdin reads as `quit`; an unreadable line fails the generator.
 */
class CommandQueue {
  readonly #pending: GeneratorCommand[] = []
  #wake: (() => void) | undefined
  #closed = false
  #failure: unknown
  /** Set while a level runs. */
  onStop: (() => void) | undefined

  constructor() {
    const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
    lines.on('line', (line) => {
      if (line.trim() === '') return
      try {
        const command = decodeCommand(line)
        if (command.type === 'stop') this.onStop?.()
        else this.#pending.push(command)
      } catch (error) {
        this.#failure ??= error
      }
      this.#wake?.()
    })
    lines.on('close', () => {
      this.#closed = true
      this.#wake?.()
    })
  }

  async next(): Promise<GeneratorCommand> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure
      const command = this.#pending.shift()
      if (command !== undefined) return command
      if (this.#closed) return { type: 'quit' }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
      this.#wake = undefined
    }
  }
}

async function runLevel(
  command: LevelCommand,
  commands: CommandQueue,
  chainId: string,
  rpcs: readonly string[],
  accounts: readonly ClientAccount[],
  requestTimeoutMs: number,
) {
  const { clients } = command
  const endpoints = rpcs.map((rpc) => keepAliveEndpoint(rpc, Math.ceil(clients / rpcs.length)))
  const startMs = performance.now() + command.warmupMs
  let stopAtMs = startMs + command.durationMs
  const tally = new LevelTally(clients, startMs, stopAtMs)
  const pacer = command.rate === undefined ? undefined : new RatePacer(command.rate, performance.now())
  // Fired by timers, or at the latest once every client has stopped (a timer can lag the last client).
  const windowEvents = (['window-start', 'window-end'] as const).map((type, index) => {
    let sent = false
    const send = (): void => {
      if (sent) return
      sent = true
      emit({ type, clients })
    }
    const timer = setTimeout(send, command.warmupMs + index * command.durationMs)
    return { send, timer }
  })
  commands.onStop = () => {
    const nowMs = performance.now()
    stopAtMs = Math.min(stopAtMs, nowMs)
    tally.endWindowAt(nowMs)
    // In order, and now: the bench's snapshots belong to the moment the window closed.
    for (const { send } of windowEvents) send()
  }
  const progress = setInterval(
    () => emit({ type: 'progress', clients, committed: tally.committedCount, errors: tally.failedCount }),
    progressIntervalMs,
  )
  try {
    await Promise.all(
      accounts.slice(0, clients).map((account, client) =>
        runClient(
          {
            chainId,
            endpoint: endpoints[client % endpoints.length]!,
            tally,
            get stopAtMs() {
              return stopAtMs
            },
            requestTimeoutMs,
            ...(pacer === undefined ? {} : { pacer }),
          },
          account,
        ),
      ),
    )
  } finally {
    commands.onStop = undefined
    clearInterval(progress)
    for (const endpoint of endpoints) endpoint.agent.destroy()
  }
  for (const { send, timer } of windowEvents) {
    clearTimeout(timer)
    send()
  }
  return tally.summary()
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    emit({ type: 'failed', message: error instanceof Error ? error.message : String(error) })
    console.error(error)
    process.exit(1)
  },
)
