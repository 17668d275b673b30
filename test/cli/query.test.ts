import type { Command } from 'commander'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '../../crypto/ed25519.js'
import { toHex } from '../../crypto/hex.js'
import { defaultRpcUrl, homeFrom, rpcUrlFrom } from '../../node/cli/env.js'
import { CliError, exitCodeOf, exitCodes } from '../../node/cli/errors.js'
import { buildProgram } from '../../node/cli/program.js'
import { invalidParams } from '../../node/rpc/errors.js'
import { RpcServer } from '../../node/rpc/server.js'

/** Runs `quorate ...argv` in this process; returns what it printed on stdout, parsed, or what it threw. */
async function quorate(argv: string[]): Promise<{ printed: unknown[]; error?: unknown }> {
  const program = buildProgram()
  const silence = (command: Command): void => {
    command.configureOutput({ writeErr: () => {}, writeOut: () => {} })
    for (const sub of command.commands) silence(sub)
  }
  silence(program)
  const printed: unknown[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((text: string) => {
    printed.push(JSON.parse(text))
  })
  try {
    await program.parseAsync(argv, { from: 'user' })
    return { printed }
  } catch (error) {
    return { printed, error }
  } finally {
    log.mockRestore()
  }
}

describe('query commands', () => {
  let server: RpcServer
  let calls: { method: string; params: unknown }[] = []
  const address = toHex(generateKeyPair().publicKey)
  const hash = 'ab'.repeat(32)
  const answer = (method: string) => async (params: unknown) => {
    calls.push({ method, params })
    if (method === 'block' && (params as { height?: number }).height === 99) {
      throw invalidParams('no committed block at height 99')
    }
    return { answered: method }
  }

  beforeAll(async () => {
    server = await RpcServer.create({
      port: 0,
      methods: Object.fromEntries(
        ['block', 'tx', 'account', 'validators'].map((method) => [method, answer(method)]),
      ),
      logger: { error: () => {} },
    })
  })

  afterEach(() => {
    calls = []
    vi.unstubAllEnvs()
  })

  afterAll(async () => {
    await server.close()
  })

  it.each([
    ['block', ['block'], { method: 'block', params: {} }],
    ['block 7', ['block', '7'], { method: 'block', params: { height: 7 } }],
    ['tx <hash> (tx show, the default)', ['tx', hash], { method: 'tx', params: { hash } }],
    ['tx show <HASH>', ['tx', 'show', hash.toUpperCase()], { method: 'tx', params: { hash } }],
    ['account <address>', ['account', address.toUpperCase()], { method: 'account', params: { address } }],
    ['validators', ['validators'], { method: 'validators', params: {} }],
  ])('quorate %s calls its RPC method and prints the answer', async (_name, argv, call) => {
    const { printed, error } = await quorate([...argv, '--rpc', server.url])
    expect(error).toBeUndefined()
    expect(calls).toEqual([call])
    expect(printed).toEqual([{ answered: call.method }])
  })

  it.each([
    ['a height that is not a number', ['block', 'top'], '<height>: expected a whole number'],
    ['a short hash', ['tx', 'abcd'], '<hash>: expected a hash of 64 hex characters'],
    ['an address that is not hex', ['account', 'zz'.repeat(32)], '<address>: expected an address'],
  ])('refuses %s before calling the node', async (_name, argv, message) => {
    const { error } = await quorate([...argv, '--rpc', server.url])
    expect(error).toBeInstanceOf(CliError)
    expect((error as Error).message).toContain(message)
    expect(exitCodeOf(error)).toBe(exitCodes.badInput)
    expect(calls).toEqual([])
  })

  it("reports the node's JSON-RPC error with exit code 1", async () => {
    const { error } = await quorate(['block', '99', '--rpc', server.url])
    expect((error as Error).message).toBe('no committed block at height 99')
    expect(exitCodeOf(error)).toBe(exitCodes.failure)
  })

  it('keeps tx transfer a subcommand, not a hash for tx show', async () => {
    const { error } = await quorate(['tx', 'transfer', '--rpc', server.url])
    expect((error as Error).message).toMatch(/required option '--from <keyfile>'/)
    expect(calls).toEqual([])
  })

  it('takes the RPC URL from $QUORATE_RPC when --rpc is left out', async () => {
    vi.stubEnv('QUORATE_RPC', server.url)
    expect((await quorate(['validators'])).printed).toEqual([{ answered: 'validators' }])
  })
})

describe('environment defaults', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('--rpc, else $QUORATE_RPC, else the local default; each checked', () => {
    vi.stubEnv('QUORATE_RPC', '')
    expect(rpcUrlFrom(undefined)).toBe(defaultRpcUrl)
    vi.stubEnv('QUORATE_RPC', 'http://10.0.0.5:26601')
    expect(rpcUrlFrom(undefined)).toBe('http://10.0.0.5:26601/')
    expect(rpcUrlFrom('http://127.0.0.1:9/')).toBe('http://127.0.0.1:9/')
    vi.stubEnv('QUORATE_RPC', 'localhost:26601')
    expect(() => rpcUrlFrom(undefined)).toThrow(/^\$QUORATE_RPC: expected an http/)
  })

  it('--home, else $QUORATE_HOME, as an absolute path; neither is a CliError', () => {
    vi.stubEnv('QUORATE_HOME', '')
    expect(() => homeFrom(undefined)).toThrow(CliError)
    expect(() => homeFrom(undefined)).toThrow('--home: required (or set QUORATE_HOME)')
    vi.stubEnv('QUORATE_HOME', '/srv/validator')
    expect(homeFrom(undefined)).toBe('/srv/validator')
    expect(homeFrom('/srv/other')).toBe('/srv/other')
  })
})
