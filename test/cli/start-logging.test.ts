// What `quorate start` logs with: one pino logger at config.json's log_level (or --log-level), used by every
// part of the validator, the RPC server included.

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { init } from '../../node/cli/init.js'
import { validatorLogger } from '../../node/cli/start.js'
import { formatConfig, homePaths, loadConfigFile } from '../../node/config.js'
import { Node } from '../../node/node.js'
import { RpcCallError, rpcCall } from '../../node/rpc/client.js'

describe('quorate start logging', () => {
  let dir: string
  let home: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-start-'))
    home = join(dir, 'home')
    await init({ home, moniker: 'v0', p2pListen: '/ip4/127.0.0.1/tcp/0', rpcListen: '127.0.0.1:0' })
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await rm(dir, { recursive: true, force: true })
  })

  it("logs at config.json's log_level unless --log-level overrides it, named by the moniker", async () => {
    const path = homePaths(home).config
    await writeFile(path, formatConfig({ ...(await loadConfigFile(path)), logLevel: 'warn' }))
    const fromConfig = await validatorLogger(home, undefined)
    expect(fromConfig.level).toBe('warn')
    expect(fromConfig.bindings()).toMatchObject({ name: 'v0' })
    expect((await validatorLogger(home, 'debug')).level).toBe('debug')
    expect((await validatorLogger(home, 'silent')).level).toBe('silent')
  })

  it("the RPC server logs a failed method through the node's logger, not a logger of its own", async () => {
    const lines: Record<string, unknown>[] = []
    const logger = pino(
      { level: 'info', name: 'v0' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    )
    const node = await Node.create(home, { logger })
    try {
      vi.spyOn(node.validator, 'status').mockImplementation(() => {
        throw new Error('disk on fire')
      })
      const error = await rpcCall(node.rpcUrl, 'status', {}).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RpcCallError)
      expect((error as RpcCallError).message).toBe('internal error')
      expect(lines).toContainEqual(
        expect.objectContaining({
          name: 'v0',
          level: 50,
          msg: 'RPC method failed',
          method: 'status',
          err: expect.objectContaining({ message: 'disk on fire' }),
        }),
      )
    } finally {
      await node.close()
    }
  })
})
