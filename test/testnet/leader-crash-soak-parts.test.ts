// The parts of the leader-crash and soak benchmarks on their own: the missed-view and first-seen rules that turn
// a trial's polls and committed chain into figures, the survivors' signing log, the statistics, the RSS figures,
// the generator's rate and stop commands (decoding, pacing slots, the tally's early end), a paced client's
// latency, and the generator process obeying both commands against a scripted JSON-RPC server. The whole
// benchmarks run in leader-crash-bench.test.ts and soak-bench.test.ts.

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair, toHex, writeKeyFile } from '../../crypto/index.js'
import type { TestnetInfo } from '../../testnet/info.js'
import { leastSquaresSlope, median, nearestRank } from '../bench/figures.js'
import { ChainGapError, findMissedViews, firstSeen } from '../bench/leader-crash/recovery.js'
import { firstTimeoutMs, parseSignedLines } from '../bench/leader-crash/signed-log.js'
import type { StatusSample } from '../bench/leader-crash/status-poller.js'
import { type ClientAccount, runClient } from '../bench/load/closed-loop-client.js'
import { LoadGeneratorProcess } from '../bench/load/generator-process.js'
import { keepAliveEndpoint } from '../bench/load/keep-alive-rpc.js'
import { LevelTally } from '../bench/load/level-tally.js'
import { decodeCommand, encodeLine, ProtocolError } from '../bench/load/protocol.js'
import { RatePacer } from '../bench/load/rate-pacer.js'
import { rssFigures } from '../bench/soak/report.js'

const blocksOf = (views: readonly number[], firstHeight: number) =>
  views.map((view, index) => ({ height: firstHeight + index, view }))

describe('the views a leader crash cost', () => {
  it('are the first gap in the committed views that reaches the view at the kill', () => {
    // Killed at view 40 after its proposal was certified: its next turn, 44, is the one missed.
    expect(findMissedViews(blocksOf([37, 38, 39, 40, 41, 42, 43, 45, 46], 100), 40)).toEqual({
      firstView: 44,
      lastView: 44,
      resumeHeight: 107,
      resumeView: 45,
    })
    // Killed before it proposed: its own view is missed; two views in a row when the next leader failed too.
    expect(findMissedViews(blocksOf([38, 39, 42, 43], 5), 40)).toEqual({
      firstView: 40,
      lastView: 41,
      resumeHeight: 7,
      resumeView: 42,
    })
  })

  it('ignore a gap that ended before the kill, and are unknown while the chain shows none', () => {
    expect(findMissedViews(blocksOf([30, 33, 34, 35], 1), 40)).toBeNull()
    expect(findMissedViews(blocksOf([30, 33, 34, 35, 36, 40], 1), 36)).toMatchObject({ firstView: 37 })
    expect(findMissedViews([], 40)).toBeNull()
  })

  it('refuse blocks that are not one chain in height order', () => {
    expect(() =>
      findMissedViews(
        [
          { height: 1, view: 1 },
          { height: 3, view: 2 },
        ],
        0,
      ),
    ).toThrow(ChainGapError)
    expect(() =>
      findMissedViews(
        [
          { height: 1, view: 5 },
          { height: 2, view: 5 },
        ],
        0,
      ),
    ).toThrow(ChainGapError)
  })
})

describe('when a survivor first showed something', () => {
  const sample = (validator: number, sentMs: number, answeredMs: number, height: number): StatusSample => ({
    validator,
    sentMs,
    answeredMs,
    height,
    view: height,
    leader: null,
    catchingUp: false,
  })

  it('lies between the earliest last-unseen request and the earliest answer that showed it', () => {
    const samples = [
      sample(1, 90, 95, 10), // before the kill at 100: not used
      sample(1, 100, 104, 10),
      sample(2, 101, 103, 10),
      sample(2, 106, 108, 10),
      sample(2, 110, 112, 11), // validator 2 showed it at 112, having not in the poll sent at 106
      sample(1, 109, 111, 10),
      sample(1, 116, 118, 12), // validator 1 showed it at 118, having not at 109
    ]
    expect(firstSeen(samples, [1, 2], 100, (s) => s.height >= 11)).toEqual({ earliestMs: 106, latestMs: 112 })
  })

  it('starts at the kill for a survivor with no answer that did not show it, and is null when none showed it', () => {
    const samples = [sample(1, 100, 104, 10), sample(2, 100, 103, 12)]
    expect(firstSeen(samples, [1, 2], 100, (s) => s.height >= 11)).toEqual({ earliestMs: 100, latestMs: 103 })
    expect(firstSeen(samples, [1, 2], 100, (s) => s.height >= 13)).toBeNull()
    expect(firstSeen(samples, [3], 100, () => true)).toBeNull()
  })
})

describe('the survivors’ signing log', () => {
  it('gives the earliest timeout signed for a view, skipping other lines', () => {
    const lines = [
      '{"level":30,"time":1000,"pid":1,"signed":{"kind":"vote","view":7,"digest":"ab"},"msg":"signed"}',
      '{"level":30,"time":2010,"pid":1,"signed":{"kind":"timeout","view":8,"digest":"6"},"msg":"signed"}',
      'not json "signed"',
      '{"level":30,"time":2004,"pid":2,"signed":{"kind":"timeout","view":8,"digest":"6"},"msg":"signed"}',
      '{"level":30,"time":2000,"pid":2,"msg":"RPC listening"}',
    ].join('\n')
    const entries = parseSignedLines(lines)
    expect(entries).toHaveLength(3)
    expect(firstTimeoutMs(entries, 8)).toBe(2004)
    expect(firstTimeoutMs(entries, 7)).toBeNull()
  })
})

describe('figures', () => {
  it('median, nearest-rank quantile and least-squares slope', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNull()
    const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
    expect(nearestRank(ten, 0.9)).toBe(9)
    expect(nearestRank(ten, 1)).toBe(10)
    expect(nearestRank([], 0.5)).toBeNull()
    expect(
      leastSquaresSlope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x + (x % 2 === 0 ? 0.5 : -0.5) }))),
    ).toBeCloseTo(1.8)
    expect(leastSquaresSlope([{ x: 1, y: 1 }])).toBeNull()
    expect(
      leastSquaresSlope([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeNull()
  })

  it('RSS per validator over the window: start, end, max and slopes in MiB per minute', () => {
    const mib = 2 ** 20
    // Validator 0 grows 1 MiB every 10 s (6 MiB/min), all of it anonymous; validator 1 stays flat but for a
    // 40 MiB peak its heap gives back 10 s later. One sample before the window, none after it.
    const samples = Array.from({ length: 8 }, (_, i) => {
      const grown = 100 * mib + (i - 1) * mib
      const peak = i === 7 ? 40 * mib : 0
      return {
        atMs: (i - 1) * 10_000,
        rssBytes: [grown, 50 * mib + peak],
        anonBytes: [grown - 30 * mib, 20 * mib + peak],
        fileBytes: [30 * mib, 30 * mib],
      }
    })
    samples.push({ atMs: 70_000, rssBytes: [0, 0], anonBytes: [0, 0], fileBytes: [0, 0] })
    const [growing, flat] = rssFigures(samples, 0, 60_000)
    expect(growing).toEqual({
      validator: 0,
      start_bytes: 100 * mib,
      end_bytes: 106 * mib,
      max_bytes: 106 * mib,
      slope_mib_per_min: 6,
      second_half_slope_mib_per_min: 6,
      floor_slope_mib_per_min: 6,
      anon_start_bytes: 70 * mib,
      anon_end_bytes: 76 * mib,
      anon_slope_mib_per_min: 6,
      file_start_bytes: 30 * mib,
      file_end_bytes: 30 * mib,
      file_slope_mib_per_min: 0,
    })
    // The peak lifts the plain slope; it is the only sample of its tenth, so the floor keeps it too here, which
    // is why the verdict reads the plain slope and the floor is a diagnostic.
    expect(flat?.max_bytes).toBe(90 * mib)
    expect(flat?.slope_mib_per_min).toBeGreaterThan(0)
    expect(flat?.anon_slope_mib_per_min).toBe(flat?.slope_mib_per_min)
    expect(flat?.file_slope_mib_per_min).toBe(0)
    expect(() => rssFigures(samples, 1, 2)).toThrow(RangeError)
  })

  it('the floor slope ignores a transient peak that shares its tenth of the window with a lower sample', () => {
    const mib = 2 ** 20
    // One sample a second for 100 s, flat at 50 MiB but for a 100 MiB peak at 95 s.
    const samples = Array.from({ length: 101 }, (_, i) => {
      const bytes = (i === 95 ? 150 : 50) * mib
      return { atMs: i * 1_000, rssBytes: [bytes], anonBytes: [bytes], fileBytes: [0] }
    })
    const [figures] = rssFigures(samples, 0, 100_000)
    expect(figures?.slope_mib_per_min).toBeGreaterThan(1)
    expect(figures?.floor_slope_mib_per_min).toBe(0)
  })
})

describe('rate and stop commands', () => {
  it('decode a level with a rate, and stop; refuse a rate that is not positive', () => {
    const paced = { type: 'level', clients: 8, warmupMs: 0, durationMs: 100, rate: 12.5 } as const
    expect(decodeCommand(encodeLine(paced))).toEqual(paced)
    expect(decodeCommand(encodeLine({ type: 'stop' }))).toEqual({ type: 'stop' })
    for (const rate of [0, -1, '5']) {
      expect(() =>
        decodeCommand(JSON.stringify({ type: 'level', clients: 1, warmupMs: 0, durationMs: 1, rate })),
      ).toThrow(ProtocolError)
    }
  })

  it('pace slots at 1/rate apart from the start, shared by every caller', () => {
    const pacer = new RatePacer(4, 1_000)
    expect([pacer.claim(), pacer.claim(), pacer.claim()]).toEqual([1_000, 1_250, 1_500])
    expect(pacer.claimed).toBe(3)
    for (const rate of [0, -2, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => new RatePacer(rate, 0)).toThrow(RangeError)
  })

  it('end a tally early: later commits do not count and the window is shorter, never longer', () => {
    const tally = new LevelTally(1, 1_000, 10_000)
    tally.committed(1_000, 1_500)
    tally.endWindowAt(2_000)
    tally.committed(1_900, 2_100)
    tally.endWindowAt(5_000)
    expect(tally.summary().committed).toBe(1)
    expect(tally.summary().window_ms).toBe(1_000)
    const early = new LevelTally(1, 1_000, 10_000)
    early.endWindowAt(500)
    expect(early.summary().window_ms).toBe(0)
  })
})

describe('paced load against a scripted JSON-RPC server', () => {
  let server: http.Server | undefined
  let dir: string | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    server = undefined
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  /** Answers `account` with nonce 0 and every broadcast_tx_commit as committed at once; counts the latter. */
  async function committingServer(): Promise<{ url: string; sent: () => number }> {
    let sent = 0
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: unknown; method: string }
        if (call.method === 'broadcast_tx_commit') sent++
        const result = call.method === 'account' ? { next_nonce: 0 } : { hash: 'h', code: 0, height: 1 }
        response.setHeader('content-type', 'application/json')
        response.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result }))
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return {
      url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`,
      sent: () => sent,
    }
  }

  it('a paced client counts latency from the slot’s due time, so a schedule it is behind on shows', async () => {
    const script = await committingServer()
    const keys = generateKeyPair()
    const account: ClientAccount = {
      keys,
      address: toHex(keys.publicKey),
      to: keys.publicKey,
      nextNonce: undefined,
      pendingTxHex: undefined,
    }
    // Slots one second apart, the first due ten seconds ago: the client is behind and sends at once.
    const pacer = new RatePacer(1, performance.now() - 10_000)
    const tally = new LevelTally(1, 0, Number.POSITIVE_INFINITY)
    const endpoint = keepAliveEndpoint(script.url, 1)
    try {
      await runClient(
        {
          chainId: 'quorate-testnet',
          endpoint,
          tally,
          get stopAtMs() {
            return pacer.claimed >= 3 ? 0 : Number.POSITIVE_INFINITY
          },
          requestTimeoutMs: 5_000,
          pacer,
        },
        account,
      )
    } finally {
      endpoint.agent.destroy()
    }
    // Three slots claimed; the client stops after the third claim, before sending it.
    expect(script.sent()).toBe(2)
    const latency = tally.summary().latency
    expect(latency?.max_ms).toBeGreaterThanOrEqual(10_000)
    expect(latency?.p50_ms).toBeGreaterThanOrEqual(9_000)
  })

  it('the generator process paces a level at its rate and ends it on stop', async () => {
    const script = await committingServer()
    dir = await mkdtemp(join(tmpdir(), 'quorate-paced-generator-'))
    const accounts = await Promise.all(
      Array.from({ length: 4 }, async (_, index) => {
        const keys = generateKeyPair()
        const keyFile = join(dir!, `account-${index}.json`)
        await writeKeyFile(keyFile, keys)
        return { key_file: keyFile, address: toHex(keys.publicKey), balance: '1000' }
      }),
    )
    const info: TestnetInfo = {
      chain_id: 'quorate-testnet',
      validators: [
        {
          index: 0,
          name: 'validator-0',
          rpc: script.url,
          metrics: `${script.url}metrics`,
          p2p: '/ip4/127.0.0.1/tcp/1',
          pid: process.pid,
          data_dir: dir,
          log_file: join(dir, 'node.log'),
          fixture: null,
        },
      ],
      accounts,
    }
    const infoFile = join(dir, 'testnet.json')
    await writeFile(infoFile, JSON.stringify(info))
    const generator = await LoadGeneratorProcess.start(infoFile)
    const rate = 50
    try {
      let progressEvents = 0
      const startedMs = performance.now()
      const summary = await generator.runLevel(
        { type: 'level', clients: 4, warmupMs: 0, durationMs: 600_000, rate },
        {
          windowStart: async () => {},
          windowEnd: async () => {},
          // Stop at the second progress event (a second in): a level that ignored it would run ten minutes.
          progress: () => {
            if (++progressEvents === 2) generator.stopLevel()
          },
        },
      )
      const elapsedSeconds = (performance.now() - startedMs) / 1000
      expect(summary.window_ms).toBeLessThan(600_000)
      expect(summary.committed).toBeGreaterThan(0)
      // Never ahead of the schedule: at most one slot per 1/rate since the level started, plus one per client.
      expect(script.sent()).toBeLessThanOrEqual(rate * elapsedSeconds + 4)
    } finally {
      await generator.stop()
    }
  }, 60_000)
})
