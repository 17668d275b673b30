import { portsPerValidator } from '../../testnet/layout.js'
import { findBusyPort } from '../../testnet/ports.js'

/**
 * Listen ports for tests: below Linux's default ephemeral range (32768–60999), split into one band per vitest
 * worker. Below the ephemeral range, because a port free when checked there could be taken a moment later by
 * any outgoing connection (a libp2p dial, an HTTP request) and the validator would fail to listen (seen:
 * EADDRINUSE on 48990 in a full `npm test`). One band per worker, because two workers that check the same free
 * ports at once would both start validators on them.
 */
const testPortLow = 20_000
const workerBands = 4
const bandPorts = 3_000
/** Bases are this far apart: one testnet of up to 10 validators fits between two. */
const baseStep = 10 * portsPerValidator

export async function freeBasePort(validators: number): Promise<number> {
  const worker = Number(process.env.VITEST_POOL_ID ?? '1')
  const bandLow = testPortLow + (((Number.isInteger(worker) ? worker : 1) - 1) % workerBands) * bandPorts
  const slots = Math.floor(bandPorts / baseStep)
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = bandLow + Math.floor(Math.random() * slots) * baseStep
    const ports = Array.from({ length: validators }, (_, i) => [
      base + i * portsPerValidator,
      base + i * portsPerValidator + 1,
    ]).flat()
    if ((await findBusyPort(ports)) === undefined) return base
  }
  throw new Error('no free port range found on 127.0.0.1')
}
