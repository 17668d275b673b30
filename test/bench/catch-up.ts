// `npm run bench -- catch-up [--blocks 5000]`: how fast a fresh validator (empty data directory) catches up by
// block sync from 3 peers holding at least --blocks committed blocks, and how long a restarted validator takes
// from its start to its first vote. Prints the figures; real processes, loopback only.
import '../../node/polyfills.js'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { rpcCall } from '../../node/rpc/client.js'
import { defaultCliPath, startTestnet } from '../../testnet/runner.js'

interface Status {
  readonly height: number
  readonly catching_up: boolean
}

const status = (rpc: string) => rpcCall<Status>(rpc, 'status', {}, { timeoutMs: 2_000 })
const write = (line: string) => process.stdout.write(`${line}\n`)

export async function benchCatchUp(options: { blocks: number; basePort: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'quorate-bench-catchup-'))
  const testnet = await startTestnet({
    dir,
    validators: 4,
    accounts: 1,
    basePort: options.basePort,
    blockIntervalMs: 0,
  })
  try {
    const { info, processes, layout } = testnet
    const fresh = layout.validators[3]!
    const rpcs = info.validators.map((v) => v.rpc)
    const started = Date.now()
    for (let height = 0; height < options.blocks; height = (await status(rpcs[0]!)).height) {
      write(
        `building the chain: ${height}/${options.blocks} blocks (${((Date.now() - started) / 1000).toFixed(0)} s)`,
      )
      await sleep(5_000)
    }
    // Validator 3 becomes a new node: stopped, its data directory emptied, started again.
    await processes.stopOne(3, 'SIGTERM')
    await rm(join(fresh.home, 'data'), { recursive: true, force: true })
    const target = (await status(rpcs[0]!)).height
    write(`the 3 peers hold ${target} blocks; starting validator 3 with an empty data directory`)

    const syncStart = Date.now()
    await processes.spawn({ index: 3, cliPath: defaultCliPath(), home: fresh.home, logFile: fresh.logFile })
    let sawCatchingUp = false
    for (;;) {
      const now = await status(rpcs[3]!).catch(() => undefined)
      if (now?.catching_up) sawCatchingUp = true
      if (now !== undefined && now.height >= target) break
      await sleep(100)
    }
    const syncSeconds = (Date.now() - syncStart) / 1000
    write(
      `catch-up: ${target} blocks in ${syncSeconds.toFixed(1)} s = ${(target / syncSeconds).toFixed(0)} blocks/s ` +
        `(process start included; status.catching_up seen: ${sawCatchingUp})`,
    )

    // Restart to first vote: SIGKILL the now caught-up validator, start it again, read its signing audit log.
    await processes.stopOne(3, 'SIGKILL')
    const logBytes = (await stat(fresh.logFile)).size
    const restartAt = Date.now()
    await processes.spawn({ index: 3, cliPath: defaultCliPath(), home: fresh.home, logFile: fresh.logFile })
    for (;;) {
      const log = (await readFile(fresh.logFile)).subarray(logBytes).toString('utf8')
      const vote = log.split('\n').find((line) => line.includes('"kind":"vote"') && line.includes('"signed"'))
      if (vote !== undefined) {
        const votedAt = (JSON.parse(vote) as { time: number }).time
        write(
          `restart to first vote: ${((votedAt - restartAt) / 1000).toFixed(2)} s (process start included)`,
        )
        break
      }
      if (Date.now() - restartAt > 60_000) throw new Error('no vote within 60 s of the restart')
      await sleep(100)
    }
  } finally {
    await testnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
