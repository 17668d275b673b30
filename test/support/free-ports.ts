import { portsPerValidator } from '../../testnet/layout.js'
import { findBusyPort } from '../../testnet/ports.js'

/**
 * A base port whose testnet ports (p2p and RPC of each validator) are all free on 127.0.0.1 right now.
 * Randomised per call so parallel test files do not collide.
 */
export async function freeBasePort(validators: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 2_000) * 20
    const ports = Array.from({ length: validators }, (_, i) => [
      base + i * portsPerValidator,
      base + i * portsPerValidator + 1,
    ]).flat()
    if ((await findBusyPort(ports)) === undefined) return base
  }
  throw new Error('no free port range found on 127.0.0.1')
}
