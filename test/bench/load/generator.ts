// The load generator: its own OS process, so the CPU it spends signing and parsing is not counted as the
// validators'. `node generator.js TESTNET_JSON [REQUEST_TIMEOUT_MS]` reads the testnet (validators' RPC URLs,
// funded accounts' key files), answers `ready`, then runs each `level` command read on stdin: that many
// closed-loop clients, client i with account i, pinned round-robin to validator i mod n over a keep-alive
// connection. Events go to stdout as JSON lines (protocol.ts); diagnostics to stderr. Exits on `quit` or
// when stdin closes (the bench is gone).

import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fromHex, readKeyFile } from '../../../crypto/index.js'
import { rpcCommitWaitMs } from '../../../ledger/limits.js'
import type { TestnetInfo } from '../../../testnet/info.js'
import { type ClientAccount, runClient } from './closed-loop-client.js'
import { keepAliveEndpoint } from './keep-alive-rpc.js'
import { LevelTally } from './level-tally.js'
import { decodeCommand, encodeLine, type GeneratorEvent, type LevelCommand } from './protocol.js'

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

  for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue
    const command = decodeCommand(line)
    if (command.type === 'quit') break
    if (command.clients > accounts.length) {
      throw new Error(
        `${command.clients} clients need as many funded accounts; the testnet has ${accounts.length}`,
      )
    }
    emit({
      type: 'level-done',
      summary: await runLevel(command, info.chain_id, rpcs, accounts, requestTimeoutMs),
    })
  }
}

async function runLevel(
  command: LevelCommand,
  chainId: string,
  rpcs: readonly string[],
  accounts: readonly ClientAccount[],
  requestTimeoutMs: number,
) {
  const { clients } = command
  const endpoints = rpcs.map((rpc) => keepAliveEndpoint(rpc, Math.ceil(clients / rpcs.length)))
  const startMs = performance.now() + command.warmupMs
  const stopAtMs = startMs + command.durationMs
  const tally = new LevelTally(clients, startMs, stopAtMs)
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
  const progress = setInterval(
    () => emit({ type: 'progress', clients, committed: tally.committedCount, errors: tally.failedCount }),
    progressIntervalMs,
  )
  try {
    await Promise.all(
      accounts
        .slice(0, clients)
        .map((account, client) =>
          runClient(
            { chainId, endpoint: endpoints[client % endpoints.length]!, tally, stopAtMs, requestTimeoutMs },
            account,
          ),
        ),
    )
  } finally {
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
