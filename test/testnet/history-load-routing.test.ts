// Where the history load sends its requests: only to validators that are usable, by default those testnet.json
// gives no malicious fixture. Two JSON-RPC endpoints stand in for validators here (they count what reaches
// them and answer as a node would); the real testnet runs are in history-load.test.ts and the scenarios.

import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../crypto/ed25519.js'
import { toHex } from '../../crypto/hex.js'
import { writeKeyFile } from '../../crypto/keyfile.js'
import { readHistoryFile } from '../../testnet/history/history-file.js'
import { startHistoryLoad } from '../../testnet/history/load-generator.js'
import type { TestnetInfo } from '../../testnet/info.js'

const servers: Server[] = []
let dir: string | undefined

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve))
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

/** A JSON-RPC endpoint answering `account` and `broadcast_tx_commit` as a node does; counts the calls. */
async function endpoint(): Promise<{ url: string; calls: string[] }> {
  const calls: string[] = []
  let height = 0
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      const { id, method } = JSON.parse(body) as { id: number; method: string }
      calls.push(method)
      const result =
        method === 'account'
          ? { address: '', balance: '1000', nonce: 0, next_nonce: 0 }
          : { hash: '00'.repeat(32), code: 0, log: '', height: ++height }
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ jsonrpc: '2.0', id, result }))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, calls }
}

describe('startHistoryLoad routing', () => {
  it('sends nothing to a validator running a fixture, and records every request against the honest one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-load-routing-'))
    const [honest, byzantine] = [await endpoint(), await endpoint()]
    const accounts = await Promise.all(
      [0, 1].map(async (index) => {
        const keys = generateKeyPair()
        const keyFile = join(dir!, `account-${index}.json`)
        await writeKeyFile(keyFile, keys)
        return { key_file: keyFile, address: toHex(keys.publicKey), balance: '1000' }
      }),
    )
    const validator = (index: number, rpc: string, fixture: string | null) => ({
      index,
      name: `validator-${index}`,
      rpc,
      metrics: `${rpc}metrics`,
      p2p: '/ip4/127.0.0.1/tcp/1',
      pid: process.pid,
      data_dir: dir!,
      log_file: join(dir!, 'node.log'),
      fixture,
    })
    const info: TestnetInfo = {
      chain_id: 'routing',
      validators: [validator(0, honest.url, null), validator(1, byzantine.url, 'double-voter')],
      accounts,
    }
    const historyFile = join(dir, 'history.jsonl')
    const load = await startHistoryLoad({ info, historyFile, clients: 2, intervalMs: 5 })
    await sleep(300)
    const summary = await load.stop()
    expect(byzantine.calls).toEqual([])
    expect(honest.calls.filter((method) => method === 'broadcast_tx_commit').length).toBe(summary.invoked)
    expect(summary.ok).toBeGreaterThan(2)
    const { records } = await readHistoryFile(historyFile)
    const invokes = records.filter((record) => record.op === 'invoke')
    expect(invokes.length).toBe(summary.invoked)
    expect(new Set(invokes.map((record) => record.node))).toEqual(new Set([0]))
  })
})
