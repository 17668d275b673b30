// The parts of the load benchmark (test/bench/load/) on their own: /proc parsing, quantiles, the window
// rules of a level's tally, the etcd results file, the generator protocol, and a closed-loop client against a
// scripted JSON-RPC server (nonce and resend rules). The whole benchmark runs in load-bench.test.ts.

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { fromHex, generateKeyPair, toHex } from '../../crypto/index.js'
import { decodeTx } from '../../ledger/codec/tx.js'
import { type ClientAccount, runClient } from '../bench/load/closed-loop-client.js'
import { EtcdResultsError, etcdRowFor, parseEtcdResults } from '../bench/load/etcd-results.js'
import { keepAliveEndpoint } from '../bench/load/keep-alive-rpc.js'
import { LevelTally, summarize } from '../bench/load/level-tally.js'
import {
  cpuSeconds,
  PeakRssSampler,
  ProcReadError,
  parseCpuTicks,
  rssBytes,
  statusKilobytes,
  writeBytes,
} from '../bench/load/proc.js'
import { decodeCommand, decodeEvent, encodeLine, ProtocolError } from '../bench/load/protocol.js'

describe('/proc readers', () => {
  it('take utime and stime after the last parenthesis, whatever the command name holds', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const line = '4242 (node (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 11 0'
    expect(parseCpuTicks(line)).toBe(1234 + 567)
  })

  it('read the kB fields of /proc/PID/status', () => {
    expect(statusKilobytes('Name:\tnode\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n', 'VmRSS')).toBe(1024)
    expect(() => statusKilobytes('Name:\tnode\n', 'VmRSS')).toThrow(ProcReadError)
  })

  it('read this very process: positive RSS, CPU time and write counters that exist', () => {
    expect(rssBytes(process.pid)).toBeGreaterThan(0)
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0)
    expect(writeBytes(process.pid)).toBeGreaterThanOrEqual(0)
    const sampler = new PeakRssSampler([process.pid], 10)
    expect(sampler.stop()[0]).toBeGreaterThan(0)
  })

  it('name a process that is not there', () => {
    expect(() => cpuSeconds(2_147_483_647)).toThrow(ProcReadError)
  })
})

describe('latency summary', () => {
  it('uses nearest-rank quantiles, as the etcd reference does', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(summarize(latencies)).toEqual({ p50_ms: 50, p95_ms: 95, p99_ms: 99, mean_ms: 50.5, max_ms: 100 })
    expect(summarize([7])).toEqual({ p50_ms: 7, p95_ms: 7, p99_ms: 7, mean_ms: 7, max_ms: 7 })
    expect(summarize([])).toBeNull()
  })
})

describe('a level tally', () => {
  it('counts commits answered inside the window and failures answered after the warm-up', () => {
    const tally = new LevelTally(2, 1_000, 2_000)
    tally.committed(900, 999) // warm-up
    tally.committed(990, 1_010) // sent in the warm-up, answered in the window: counts
    tally.committed(1_500, 1_600)
    tally.committed(1_900, 2_050) // answered after the window
    tally.failed('timeout', 999)
    tally.failed('mempool_full', 1_500)
    tally.failed('timeout', 2_500) // in flight at the window's end: still an error
    const summary = tally.summary()
    expect(summary.committed).toBe(2)
    expect(summary.latency?.max_ms).toBe(100)
    expect(summary.errors).toEqual({ mempool_full: 1, timeout: 1 })
    expect(summary.window_ms).toBe(1_000)
  })
})

describe('etcd results (run.sh stdout)', () => {
  const text = [
    '{"system":"ed25519-bound","verify_per_s_async":18400,"verify_per_s_sync":8800}',
    '{"system":"etcd","version":"3.4.23","members":4,"concurrency":1,"ops_per_s":286.4,"p50_ms":3.2,"p95_ms":5.1,"p99_ms":9.4,"errors":0}',
    '{"system":"etcd","version":"3.4.23","members":4,"concurrency":16,"ops_per_s":1004,"p50_ms":14.5,"p95_ms":30,"p99_ms":42,"errors":0}',
    '',
  ].join('\n')

  it('finds the row of each client count and keeps the ceiling line', () => {
    const results = parseEtcdResults('etcd.jsonl', text)
    expect(results.version).toBe('3.4.23')
    expect(results.members).toBe(4)
    expect(results.ed25519_bound?.verify_per_s_async).toBe(18400)
    expect(etcdRowFor(results, 16)?.ops_per_s).toBe(1004)
    expect(etcdRowFor(results, 64)).toBeNull()
    expect(etcdRowFor(null, 1)).toBeNull()
  })

  it('rejects stderr mixed in, unknown lines, missing fields and a file without etcd lines', () => {
    expect(() => parseEtcdResults('f', `${text}run.sh: ok\n`)).toThrow(/f:4: not a JSON line/)
    expect(() => parseEtcdResults('f', '{"system":"redis"}')).toThrow(EtcdResultsError)
    expect(() => parseEtcdResults('f', '{"system":"etcd","concurrency":1}')).toThrow(/ops_per_s/)
    expect(() => parseEtcdResults('f', text.split('\n')[0]!)).toThrow(/no "etcd" line/)
  })
})

describe('generator protocol', () => {
  it('decodes what it encodes, and refuses malformed lines', () => {
    const summary = {
      clients: 4,
      window_ms: 2000,
      committed: 10,
      latency: { p50_ms: 1, p95_ms: 2, p99_ms: 3, mean_ms: 1.5, max_ms: 4 },
      errors: { mempool_full: 2 },
    }
    expect(decodeEvent(encodeLine({ type: 'level-done', summary }))).toEqual({ type: 'level-done', summary })
    const command = { type: 'level', clients: 3, warmupMs: 10, durationMs: 20 } as const
    expect(decodeCommand(encodeLine(command))).toEqual(command)
    expect(() => decodeCommand('{"type":"level","clients":0,"warmupMs":1,"durationMs":1}')).toThrow(
      ProtocolError,
    )
    expect(() => decodeEvent('{"type":"progress","clients":1,"committed":-1,"errors":0}')).toThrow(
      ProtocolError,
    )
    expect(() => decodeEvent('not json')).toThrow(ProtocolError)
  })
})

describe('a closed-loop client', () => {
  let server: http.Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    server = undefined
  })

  /** A JSON-RPC server that answers each broadcast_tx_commit with the next scripted answer. */
  async function scriptedServer(
    nextNonces: number[],
    answers: Array<(id: unknown) => unknown>,
    beforeAnswer: () => void,
  ) {
    const sent: Array<{ nonce: number; hex: string }> = []
    const accountReads: number[] = []
    const connections = new Set<unknown>()
    server = http.createServer((request, response) => {
      connections.add(request.socket)
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          id: unknown
          method: string
          params: { tx: string }
        }
        let body: unknown
        if (call.method === 'account') {
          accountReads.push(sent.length)
          body = { jsonrpc: '2.0', id: call.id, result: { next_nonce: nextNonces.shift() } }
        } else {
          sent.push({ nonce: decodeTx(fromHex(call.params.tx)).nonce, hex: call.params.tx })
          const answer = answers.shift()
          body =
            answer === undefined
              ? { jsonrpc: '2.0', id: call.id, error: { code: -1, message: 'unscripted' } }
              : answer(call.id)
        }
        beforeAnswer()
        response.setHeader('content-type', 'application/json')
        response.end(JSON.stringify(body))
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const port = (server!.address() as AddressInfo).port
    return { sent, accountReads, connections, url: `http://127.0.0.1:${port}/` }
  }

  const result = (value: unknown) => (id: unknown) => ({ jsonrpc: '2.0', id, result: value })
  const rpcError = (code: number) => (id: unknown) => ({ jsonrpc: '2.0', id, error: { code, message: 'x' } })

  it('resends the same bytes until committed, advances the nonce once, and re-reads it when refused', async () => {
    const committed = result({ hash: 'h', code: 0, height: 9 })
    let stopAtMs = Number.POSITIVE_INFINITY
    // The server ends the run before its fifth answer (the client checks the stop time before each send), or
    // once the client reads its nonce more often than scripted, so a broken rule fails at once.
    const script = await scriptedServer(
      [7, 12],
      [
        result({ hash: 'h', code: 16, log: 'mempool full' }),
        rpcError(-32001),
        committed,
        result({ hash: 'h', code: 15, log: 'bad nonce' }),
        committed,
      ],
      () => {
        if (script.sent.length >= 5 || script.accountReads.length > 2) stopAtMs = 0
      },
    )
    const keys = generateKeyPair()
    const account: ClientAccount = {
      keys,
      address: toHex(keys.publicKey),
      to: generateKeyPair().publicKey,
      nextNonce: undefined,
      pendingTxHex: undefined,
    }
    const tally = new LevelTally(1, 0, Number.POSITIVE_INFINITY)
    const endpoint = keepAliveEndpoint(script.url, 1)
    try {
      await runClient(
        {
          chainId: 'quorate-testnet',
          endpoint,
          tally,
          get stopAtMs() {
            return stopAtMs
          },
          requestTimeoutMs: 5_000,
        },
        account,
      )
    } finally {
      endpoint.agent.destroy()
    }
    const [first, second, third, fourth, fifth] = script.sent
    // Nonce 7 from `account`; full mempool and "not committed in time" resend the very same transaction.
    expect([first?.nonce, second?.nonce, third?.nonce]).toEqual([7, 7, 7])
    expect(new Set([first?.hex, second?.hex, third?.hex]).size).toBe(1)
    // Committed: the next nonce. Refused for its nonce: read again (12), and sign anew.
    expect(fourth?.nonce).toBe(8)
    expect(fifth?.nonce).toBe(12)
    expect(script.accountReads).toEqual([0, 4])
    expect(account.nextNonce).toBe(13)
    const summary = tally.summary()
    expect(summary.committed).toBe(2)
    expect(summary.errors).toEqual({ admission_15: 1, mempool_full: 1, 'rpc_-32001': 1 })
    // One keep-alive connection carried every request.
    expect(script.connections.size).toBe(1)
  })
})
