// Issue 4, item 3: a validator whose LevelDB files were damaged while it was stopped either refuses to start,
// naming its data directory and saying what to do, or starts, catches up from its peers and then reports
// exactly what they report. It never serves different data. Real processes, real LevelDB files.

import { cp, mkdtemp, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex, readKeyFile } from '../../crypto/index.js'
import { buildTransfer, txToHex } from '../../node/client/transfer.js'
import { RpcCallError, rpcCall } from '../../node/rpc/client.js'
import { defaultCliPath, type RunningTestnet, startTestnet } from '../../testnet/runner.js'
import {
  blockByHashKey,
  compactIntoTable,
  flipBytesInTheMiddle,
  flipValueByteInTable,
  hashByHeightKey,
  headKey,
  newestFile,
  readRaw,
  readValue,
  restoreCopy,
  StartedValidator,
  truncateToFraction,
  txLocationKey,
  type ValidatorExitStatus,
  withRawDatabase,
  writeSealed,
} from '../support/corruption-tools.js'
import { freeBasePort } from '../support/free-ports.js'
import { checkAgreementUpTo, type StatusResult, status, waitFor } from '../support/rpc-checks.js'

const validatorCount = 4
const victim = 3
const heightBeforeStop = 20
const transferCount = 6
/** A validator that refuses its data must say so within this long. */
const refuseWithinMs = 10_000
/** Longest wait for a started validator to answer RPC or for a refusing one to exit. */
const startOrExitMsMax = 15_000
const catchUpTimeoutMs = 30_000
const headAgreementTimeoutMs = 10_000
const cleanExit: ValidatorExitStatus = { code: 0, signal: null }

type Outcome =
  | {
      readonly kind: 'refused'
      readonly exit: ValidatorExitStatus
      readonly output: string
      readonly ms: number
    }
  | { readonly kind: 'started'; readonly validator: StartedValidator; readonly ms: number }

interface TxAnswer {
  readonly hash: string
  readonly height: number
  readonly index: number
  readonly code?: number
  readonly log?: string
}

describe('a validator whose LevelDB files were corrupted while it was stopped', () => {
  const cliPath = defaultCliPath()
  let dir: string
  let testnet: RunningTestnet | undefined
  let home: string
  let dataDir: string
  let cleanCopy: string
  let victimRpc: string
  let peerRpcs: string[]
  let allRpcs: string[]
  let addresses: string[]
  const txHashes: string[] = []
  const children = new Set<StartedValidator>()
  const refusalOutputs: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-corruption-'))
    testnet = await startTestnet({
      dir,
      // These checks count blocks, not only transfers: empty blocks keep the chain moving between them.
      createEmptyBlocks: true,
      validators: validatorCount,
      accounts: 2,
      basePort: await freeBasePort(validatorCount),
    })
    const { info } = testnet
    home = info.validators[victim]!.data_dir
    dataDir = join(home, 'data')
    cleanCopy = join(dir, 'clean-data-copy')
    allRpcs = info.validators.map((v) => v.rpc)
    victimRpc = allRpcs[victim]!
    peerRpcs = allRpcs.filter((_, index) => index !== victim)
    addresses = info.accounts.map((account) => account.address)
  }, 90_000)

  afterAll(async () => {
    for (const child of children) child.killNow()
    await Promise.all([...children].map((child) => child.exited))
    await testnet?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }, 30_000)

  /** Runs `quorate start --home HOME` on whatever is in the data directory now, until it exits or serves RPC. */
  async function startOnCurrentData(): Promise<Outcome> {
    const validator = StartedValidator.spawn(cliPath, home)
    children.add(validator)
    const deadline = validator.startedAtMs + startOrExitMsMax
    for (;;) {
      if (!validator.running) {
        const exit = await validator.exited
        children.delete(validator)
        refusalOutputs.push(validator.output)
        return { kind: 'refused', exit, output: validator.output, ms: Date.now() - validator.startedAtMs }
      }
      const answered = await rpcCall(victimRpc, 'status', {}, { timeoutMs: 1_000 }).then(
        () => true,
        () => false,
      )
      if (answered) return { kind: 'started', validator, ms: Date.now() - validator.startedAtMs }
      if (Date.now() > deadline) {
        validator.killNow()
        throw new Error(
          `the validator neither exited nor answered RPC within ${startOrExitMsMax} ms:\n${validator.output}`,
        )
      }
      await sleep(100)
    }
  }

  function describeOutcome(outcome: Outcome): string {
    if (outcome.kind === 'started') return `started (RPC up after ${outcome.ms} ms)`
    const reason =
      /is corrupt \((.+?)\)\. Stop this validator/s.exec(outcome.output)?.[1] ?? outcome.output.slice(0, 300)
    return `refused to start: exit ${outcome.exit.code} after ${outcome.ms} ms (${reason})`
  }

  function expectRefusedWithGuidance(outcome: Extract<Outcome, { kind: 'refused' }>): void {
    const { exit, output, ms } = outcome
    expect(exit.signal, output).toBeNull()
    expect(exit.code, output).not.toBe(0)
    expect(ms, 'refuses within a few seconds').toBeLessThan(refuseWithinMs)
    expect(output).toContain(`the data directory ${dataDir} is corrupt`)
    expect(output).toMatch(/move \S+ aside/)
    expect(output).toContain(dataDir)
    expect(output).toMatch(/start it again/)
  }

  async function heights(rpcs: readonly string[]): Promise<number[]> {
    return Promise.all(rpcs.map(async (rpc) => (await status(rpc)).height))
  }

  /**
   * The validator catches up to where its peers were when it started, then agrees with them on every block
   * hash and state root, on its head's status, on every transfer's location and receipt and on the balances;
   * then SIGTERM stops it with exit code 0. Returns how the catch-up looked.
   */
  async function expectCatchesUpAndAgrees(validator: StartedValidator): Promise<string> {
    try {
      const target = Math.max(...(await heights(peerRpcs)))
      let firstHeight: number | undefined
      let sawCatchingUp = false
      const catchUpStartedMs = Date.now()
      await waitFor(
        `validator ${victim} to catch up to height ${target}`,
        async () => {
          const own = await status(victimRpc)
          firstHeight ??= own.height
          sawCatchingUp ||= own.catching_up
          return own.height >= target
        },
        catchUpTimeoutMs,
      )
      const catchUpMs = Date.now() - catchUpStartedMs
      const top = Math.min(...(await heights(allRpcs)))
      await checkAgreementUpTo(allRpcs, top)
      await expectHeadStatusAgrees()
      let refusedReads = 0
      for (const hash of txHashes) {
        // A value that fails its checksum on read is answered with an error, never with other data.
        const own = await rpcCall<TxAnswer>(victimRpc, 'tx', { hash }).catch((error: unknown) => error)
        const peer = await rpcCall<TxAnswer>(peerRpcs[0]!, 'tx', { hash })
        if (own instanceof RpcCallError) {
          expect(own.message, `transfer ${hash}`).toContain('corrupt')
          refusedReads++
          continue
        }
        expect(own, `transfer ${hash} as validator ${victim} serves it`).toEqual(peer)
      }
      for (const address of addresses) {
        const [own, peer] = await Promise.all(
          [victimRpc, peerRpcs[0]!].map((rpc) => rpcCall(rpc, 'account', { address })),
        )
        expect(own, `account ${address}`).toEqual(peer)
      }
      return `caught up from height ${firstHeight} to ${target} in ${catchUpMs} ms (catching_up seen: ${sawCatchingUp}); agrees up to height ${top}; ${refusedReads} corrupt reads refused`
    } finally {
      const exit = await validator.stop()
      children.delete(validator)
      expect(exit, 'SIGTERM stops it with exit code 0').toEqual(cleanExit)
    }
  }

  /** The victim's `status` names the same block hash and state root as a peer's at the same height. */
  async function expectHeadStatusAgrees(): Promise<void> {
    const deadline = Date.now() + headAgreementTimeoutMs
    while (Date.now() < deadline) {
      const statuses: StatusResult[] = await Promise.all(allRpcs.map((rpc) => status(rpc)))
      const own = statuses[victim]!
      const peer = statuses.find((other, index) => index !== victim && other.height === own.height)
      if (peer !== undefined) {
        expect({ hash: own.block_hash, stateRoot: own.state_root }).toEqual({
          hash: peer.block_hash,
          stateRoot: peer.state_root,
        })
        return
      }
      await sleep(50)
    }
    throw new Error(`no peer reported the victim's height within ${headAgreementTimeoutMs} ms`)
  }

  /** Either outcome the issue allows: refused with guidance, or started, caught up and in agreement. */
  async function expectRefusedOrAgrees(outcome: Outcome): Promise<string> {
    if (outcome.kind === 'refused') {
      expectRefusedWithGuidance(outcome)
      return describeOutcome(outcome)
    }
    return `${describeOutcome(outcome)}; ${await expectCatchesUpAndAgrees(outcome.validator)}`
  }

  async function hashAtHeight(height: number): Promise<Uint8Array> {
    return withRawDatabase(dataDir, (db) => readValue(db, hashByHeightKey(height)))
  }

  async function headHeight(): Promise<number> {
    const head = await withRawDatabase(dataDir, (db) => readValue(db, headKey))
    return Number(new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(0))
  }

  it('commits blocks and transfers, then stops validator 3 on SIGTERM with exit code 0', async () => {
    const { info, processes } = testnet!
    const [from, to] = info.accounts
    const keyPair = await readKeyFile(from!.key_file)
    for (let nonce = 0; nonce < transferCount; nonce++) {
      const tx = buildTransfer({
        chainId: info.chain_id,
        keyPair,
        to: fromHex(to!.address, 32),
        amount: BigInt(nonce + 1),
        nonce,
      })
      const rpc = allRpcs[nonce % allRpcs.length]!
      const result = await rpcCall<{ hash: string; code: number; log: string }>(rpc, 'broadcast_tx_sync', {
        tx: txToHex(tx),
      })
      expect(result.code, result.log).toBe(0)
      txHashes.push(result.hash)
    }
    await waitFor(
      `height ${heightBeforeStop} and every transfer committed on every validator`,
      async () => {
        if ((await heights(allRpcs)).some((height) => height < heightBeforeStop)) return false
        for (const rpc of allRpcs) for (const hash of txHashes) await rpcCall(rpc, 'tx', { hash })
        return true
      },
      45_000,
    )

    const stopped = processes.processes.find((process) => process.index === victim)!
    processes.signal(victim, 'SIGTERM')
    expect(await stopped.exited, 'graceful shutdown: exit code 0 on SIGTERM').toEqual(cleanExit)
    await cp(dataDir, cleanCopy, { recursive: true })
  }, 60_000)

  it('(a) 16 bytes flipped in the middle of the newest table file: refused, or caught up and in agreement', async ({
    annotate,
  }) => {
    await restoreCopy(cleanCopy, dataDir)
    // The validator's own writes are still in the write-ahead log; opening the directory turns them into a
    // table and the compaction drops superseded versions, so the middle of the table is live data.
    const table = await compactIntoTable(dataDir, { compression: true })
    const offset = await flipBytesInTheMiddle(table, 16)
    const outcome = await startOnCurrentData()
    await annotate(`flipped ${table}@${offset}: ${await expectRefusedOrAgrees(outcome)}`)
  }, 60_000)

  it('(a) 16 bytes flipped in the middle of the write-ahead log: refused, or caught up and in agreement', async ({
    annotate,
  }) => {
    await restoreCopy(cleanCopy, dataDir)
    const log = await newestFile(dataDir, /^(\d+)\.log$/)
    if (log === undefined) throw new Error(`no .log file in ${dataDir}`)
    const offset = await flipBytesInTheMiddle(log, 16)
    const outcome = await startOnCurrentData()
    await annotate(`flipped ${log}@${offset}: ${await expectRefusedOrAgrees(outcome)}`)
  }, 60_000)

  it('(a) one bit flipped inside a transfer location stored in a table: refused, or never served', async ({
    annotate,
  }) => {
    await restoreCopy(cleanCopy, dataDir)
    // Uncompressed, so the stored value's bytes can be found in the file; the block's checksum is left as is.
    const table = await compactIntoTable(dataDir, { compression: false })
    const locationKey = txLocationKey(fromHex(txHashes[0]!, 32))
    const location = await withRawDatabase(dataDir, (db) => readRaw(db, locationKey))
    await flipValueByteInTable(table, locationKey, location, 7)
    const damaged = await withRawDatabase(dataDir, (db) => readRaw(db, locationKey))
    expect(
      damaged,
      'the flip hit the stored value (LevelDB reads do not verify block checksums)',
    ).not.toEqual(location)
    const outcome = await startOnCurrentData()
    await annotate(await expectRefusedOrAgrees(outcome))
  }, 60_000)

  it('(b) the write-ahead log truncated to half: refused, or caught up and in agreement', async ({
    annotate,
  }) => {
    await restoreCopy(cleanCopy, dataDir)
    const log = await newestFile(dataDir, /^(\d+)\.log$/)
    if (log === undefined) throw new Error(`no .log file in ${dataDir}`)
    const { size } = await stat(log)
    const length = await truncateToFraction(log, 0.5)
    const outcome = await startOnCurrentData()
    await annotate(
      `truncated ${log} from ${size} to ${length} bytes: ${await expectRefusedOrAgrees(outcome)}`,
    )
  }, 60_000)

  it('(c) a committed block deleted: refused with guidance', async ({ annotate }) => {
    await restoreCopy(cleanCopy, dataDir)
    const height = (await headHeight()) - 5
    const hash = await hashAtHeight(height)
    await withRawDatabase(dataDir, (db) => db.del(blockByHashKey(hash)))
    const outcome = await startOnCurrentData()
    expect(outcome.kind, describeOutcome(outcome)).toBe('refused')
    if (outcome.kind === 'refused') expectRefusedWithGuidance(outcome)
    await annotate(`deleted block ${height}: ${describeOutcome(outcome)}`)
  }, 60_000)

  it('(d) the head pointer names the wrong block: refused with guidance', async ({ annotate }) => {
    await restoreCopy(cleanCopy, dataDir)
    const height = await headHeight()
    const wrongHash = await hashAtHeight(height - 1)
    await withRawDatabase(dataDir, async (db) => {
      const head = new Uint8Array(await readValue(db, headKey))
      head.set(wrongHash, 8) // u64 height ‖ hash ‖ state root
      await writeSealed(db, headKey, head)
    })
    const outcome = await startOnCurrentData()
    expect(outcome.kind, describeOutcome(outcome)).toBe('refused')
    if (outcome.kind === 'refused') expectRefusedWithGuidance(outcome)
    await annotate(`head ${height} pointed at block ${height - 1}: ${describeOutcome(outcome)}`)
  }, 60_000)

  it('(d) a height index entry names the wrong block: refused with guidance', async ({ annotate }) => {
    await restoreCopy(cleanCopy, dataDir)
    const height = (await headHeight()) - 3
    const wrongHash = await hashAtHeight(height - 1)
    await withRawDatabase(dataDir, (db) => writeSealed(db, hashByHeightKey(height), wrongHash))
    const outcome = await startOnCurrentData()
    expect(outcome.kind, describeOutcome(outcome)).toBe('refused')
    if (outcome.kind === 'refused') expectRefusedWithGuidance(outcome)
    await annotate(`height ${height} pointed at block ${height - 1}: ${describeOutcome(outcome)}`)
  }, 60_000)

  it('following the guidance (move the directory aside, start again) syncs from empty and agrees', async ({
    annotate,
  }) => {
    await restoreCopy(cleanCopy, dataDir)
    const hash = await hashAtHeight((await headHeight()) - 5)
    await withRawDatabase(dataDir, (db) => db.del(blockByHashKey(hash)))
    const refused = await startOnCurrentData()
    expect(refused.kind, describeOutcome(refused)).toBe('refused')

    const asideDir = `${dataDir}.corrupt`
    await rename(dataDir, asideDir)
    const outcome = await startOnCurrentData()
    if (outcome.kind === 'refused') throw new Error(`refused an empty data directory:\n${outcome.output}`)
    const firstStatus = await status(victimRpc)
    expect(
      firstStatus.catching_up || firstStatus.height < Math.max(...(await heights(peerRpcs))),
      'starts behind its peers (catching up)',
    ).toBe(true)
    await annotate(
      `from an empty directory (first status: height ${firstStatus.height}, catching_up ${firstStatus.catching_up}): ` +
        (await expectCatchesUpAndAgrees(outcome.validator)),
    )
    expect((await stat(asideDir)).isDirectory(), 'the corrupt directory is kept for inspection').toBe(true)
  }, 60_000)

  it('reports corrupt data as one "error: ..." line like other errors the operator can fix, not as a crash with a stack trace', () => {
    expect(refusalOutputs.length, 'some start was refused').toBeGreaterThan(0)
    for (const output of refusalOutputs) {
      expect(output.trimStart().startsWith('error: '), output).toBe(true)
      expect(output, 'no stack trace').not.toMatch(/\n\s+at /)
    }
  })
})
