import { Node } from './node.js'

/**
 * Runs a validator from its home directory until SIGINT or SIGTERM, then shuts down cleanly (exit code 0), or
 * until consensus stops on a broken invariant (exit code 1).
 */
export async function runValidator(home: string, options: { byzantine?: string } = {}): Promise<void> {
  if (options.byzantine !== undefined) {
    throw new Error(`--byzantine ${options.byzantine}: malicious-node fixtures are not available yet`)
  }
  const node = await Node.create(home)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const watchdog = setInterval(() => {
      if (node.failure !== null) {
        process.exitCode = 1
        resolve()
      }
    }, 250)
    watchdog.unref()
  })
  await node.close()
}
