// A validator process opens its parts in order (metrics, stores, p2p host, validator, RPC) and a part that fails
// to open closes every part opened before it: a failed start leaves no listener, host or locked database behind.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { Node } from '../../node/node.js'
import { generateTestnet } from '../../testnet/generate.js'
import { freeBasePort } from '../support/free-ports.js'

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

describe('a validator process that fails to start', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('closes the p2p host and the stores it opened when the RPC port is taken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quorate-lifecycle-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const layout = await generateTestnet({ dir, validators: 4, accounts: 0, basePort: await freeBasePort(4) })
    const validator = layout.validators[0]!
    const squatter = await listen(validator.rpcPort)
    const start = Node.create(validator.home, { logger: pino({ level: 'silent' }) })
    await expect(start.finally(() => closeServer(squatter))).rejects.toThrow(/EADDRINUSE/)

    // The host that listened on the p2p port before the RPC server failed has let it go…
    const p2p = await listen(validator.p2pPort)
    await closeServer(p2p)
    // …and the stores are closed: the same home starts once the RPC port is free.
    const node = await Node.create(validator.home, { logger: pino({ level: 'silent' }) })
    await node.close()
  })
})
