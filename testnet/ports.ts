// Checks that a testnet's ports are free before any validator starts, so a second testnet on the same ports
// fails with a clear message instead of n validators each failing in its own log.

import { createServer } from 'node:net'

/** Resolves with the first port of `ports` that cannot be bound on `host`, or undefined when all are free. */
export async function findBusyPort(
  ports: readonly number[],
  host = '127.0.0.1',
): Promise<number | undefined> {
  for (const port of ports) {
    if (!(await isPortFree(port, host))) return port
  }
  return undefined
}

function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true))
    })
  })
}
