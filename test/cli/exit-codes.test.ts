// The CLI run as a process, as scripts run it: each kind of failure ends with its own exit code and one line
// on stderr, and the environment supplies --home and --rpc.

import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../crypto/ed25519.js'
import { fromHex, toHex } from '../../crypto/hex.js'
import { writeKeyFile } from '../../crypto/keyfile.js'
import { decodeTx } from '../../ledger/codec/index.js'
import { init } from '../../node/cli/init.js'
import { txHashHex } from '../../node/client/transfer.js'
import { formatConfig, homePaths, loadConfigFile } from '../../node/config.js'
import { invalidParams } from '../../node/rpc/errors.js'
import { RpcServer } from '../../node/rpc/server.js'
import { killRunningClis, repoRoot, runCli, spawnCli } from './run-cli.js'

const chainId = 'quorate-test'

/** stderr of a failed command: exactly one line, starting with "error: ". */
function expectOneErrorLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  return lines[0]!
}

/** A port on 127.0.0.1 that nothing listens on: one the OS just handed out, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return address.port
}

describe('quorate exit codes', () => {
  let dir: string
  let server: RpcServer
  let keyFile: string
  const recipient = toHex(generateKeyPair().publicKey)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-exit-'))
    keyFile = join(dir, 'sender.json')
    await writeKeyFile(keyFile, generateKeyPair())
    server = await RpcServer.create({
      port: 0,
      methods: {
        status: async () => ({ chain_id: chainId, height: 1 }),
        account: async () => ({ balance: '0', nonce: 0, next_nonce: 0 }),
        broadcast_tx_sync: async (params) => ({
          hash: txHashHex(decodeTx(fromHex((params as { tx: string }).tx))),
          code: 3,
          log: 'insufficient funds',
        }),
        block: async (params) => {
          const height = (params as { height?: number }).height
          if (height === 99) throw invalidParams('no committed block at height 99')
          return { height: height ?? 1 }
        },
        validators: async () => ({ validators: [{ index: 0 }] }),
      },
      logger: { error: () => {} },
    })
  })

  afterEach(() => {
    killRunningClis()
  })

  afterAll(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string
    }
    const run = await runCli(['--version'])
    expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
  })

  it('--help exits 0 and documents the exit codes and the environment', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Exit codes:/)
    for (const code of ['0', '1', '2', '3', '4'])
      expect(run.stdout).toMatch(new RegExp(`^ {2}${code} {2}\\S`, 'm'))
    for (const name of ['QUORATE_HOME', 'QUORATE_RPC', 'QUORATE_RPC_TOKEN'])
      expect(run.stdout).toContain(name)
  })

  it('exits 2 on an unknown flag, naming it first on stderr', async () => {
    const run = await runCli(['status', '--no-such-flag'])
    expect(run.code).toBe(2)
    expect(run.stderr.split('\n')[0]).toBe("error: unknown option '--no-such-flag'")
  })

  it('exits 2 on a bad argument value, with one line on stderr', async () => {
    const run = await runCli(['block', 'tall', '--rpc', server.url])
    expect(run.code).toBe(2)
    expect(expectOneErrorLine(run.stderr)).toContain('<height>: expected a whole number')
  })

  it('exits 2 on a bad --rpc URL and a missing key file', async () => {
    expect((await runCli(['status', '--rpc', 'localhost:26601'])).code).toBe(2)
    const run = await runCli([
      'tx',
      'transfer',
      '--rpc',
      server.url,
      '--from',
      join(dir, 'missing.json'),
      '--to',
      recipient,
      '--amount',
      '1',
    ])
    expect(run.code).toBe(2)
    expect(expectOneErrorLine(run.stderr)).toMatch(/does not exist/)
  })

  it('exits 3 when the node is unreachable', async () => {
    const run = await runCli(['status', '--rpc', `http://127.0.0.1:${await closedPort()}/`])
    expect(run.code).toBe(3)
    expect(expectOneErrorLine(run.stderr)).toMatch(/cannot reach the RPC server \(ECONNREFUSED\)/)
  })

  it('exits 4 when the node rejects a transfer, after printing its answer', async () => {
    const run = await runCli([
      'tx',
      'transfer',
      '--rpc',
      server.url,
      '--from',
      keyFile,
      '--to',
      recipient,
      '--amount',
      '5',
    ])
    expect(run.code).toBe(4)
    expect(JSON.parse(run.stdout)).toMatchObject({ code: 3, log: 'insufficient funds', amount: '5' })
    expect(expectOneErrorLine(run.stderr)).toBe('error: transfer rejected (code 3): insufficient funds')
  })

  it('exits 1 when the node answers with a JSON-RPC error', async () => {
    const run = await runCli(['block', '99', '--rpc', server.url])
    expect(run.code).toBe(1)
    expect(expectOneErrorLine(run.stderr)).toBe(
      'error: the node answered with error -32602: no committed block at height 99',
    )
  })

  it('takes --rpc from $QUORATE_RPC, and a flag over it', async () => {
    const run = await runCli(['validators'], { QUORATE_RPC: server.url })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ validators: [{ index: 0 }] })
    const closed = `http://127.0.0.1:${await closedPort()}/`
    expect((await runCli(['validators', '--rpc', server.url], { QUORATE_RPC: closed })).code).toBe(0)
    expect((await runCli(['validators'], { QUORATE_RPC: closed })).code).toBe(3)
  })

  it('config validate: 0 and one JSON line for a valid home (from $QUORATE_HOME), 2 for a broken one', async () => {
    const home = join(dir, 'validate-home')
    await init({ home, p2pListen: '/ip4/127.0.0.1/tcp/0', rpcListen: '127.0.0.1:0' })
    const valid = await runCli(['config', 'validate'], { QUORATE_HOME: home })
    expect(valid.code).toBe(0)
    expect(valid.stdout.trimEnd().split('\n')).toHaveLength(1)
    expect(JSON.parse(valid.stdout)).toMatchObject({ ok: true, home, chain_id: 'quorate-local' })

    await writeFile(homePaths(home).config, JSON.stringify({ rpc_listen: 'nowhere', log_level: 'loud' }))
    const broken = await runCli(['config', 'validate', '--home', home])
    expect(broken.code).toBe(2)
    expect(JSON.parse(broken.stdout)).toMatchObject({
      ok: false,
      problems: [{ field: 'rpc_listen' }, { field: 'log_level' }],
    })
    expect(broken.stderr).toMatch(/^error: config\.json: rpc_listen: /m)
    expect(broken.stderr).toMatch(/^error: config\.json: log_level: /m)
  })

  it('exits 2 when start finds a bad config.json', async () => {
    const home = join(dir, 'bad-config-home')
    await init({ home, p2pListen: '/ip4/127.0.0.1/tcp/0', rpcListen: '127.0.0.1:0' })
    await writeFile(homePaths(home).config, JSON.stringify({ log_level: 'loud' }))
    const run = await runCli(['start', '--home', home])
    expect(run.code).toBe(2)
    expect(expectOneErrorLine(run.stderr)).toMatch(/^error: config: log_level: /)
  })

  it('exits 2 when start finds keys that are not a validator of genesis', async () => {
    const home = join(dir, 'foreign-key-home')
    await init({ home, p2pListen: '/ip4/127.0.0.1/tcp/0', rpcListen: '127.0.0.1:0' })
    await writeKeyFile(homePaths(home).consensusKey, generateKeyPair(), { overwrite: true })
    const run = await runCli(['start', '--home', home])
    expect(run.code).toBe(2)
    expect(expectOneErrorLine(run.stderr)).toMatch(/consensus key .* is not a validator in .*genesis\.json/)
  })

  it("start --log-level overrides config.json's log_level", async () => {
    const home = join(dir, 'start-home')
    await init({ home, p2pListen: '/ip4/127.0.0.1/tcp/0', rpcListen: '127.0.0.1:0' })
    const paths = homePaths(home)
    // At "error", the info line "RPC listening" is never written: seeing it proves the flag won.
    await writeFile(
      paths.config,
      formatConfig({ ...(await loadConfigFile(paths.config)), logLevel: 'error' }),
    )
    const child = spawnCli(['start', '--home', home, '--log-level', 'info'])
    let stdout = ''
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        stdout += text
        if (stdout.includes('"msg":"RPC listening"')) resolve()
      })
      void exited.then((code) => reject(new Error(`start exited with ${code} before listening: ${stderr}`)))
      timer = setTimeout(() => reject(new Error(`no "RPC listening" within 30 s: ${stdout}`)), 30_000)
    }).finally(() => clearTimeout(timer))
    const listening = stdout.split('\n').find((line) => line.includes('"msg":"RPC listening"'))!
    expect(JSON.parse(listening)).toMatchObject({ level: 30, name: 'quorate' })
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
