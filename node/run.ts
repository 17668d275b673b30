import { Node } from './node.js'
import type { OutgoingFilterFactory } from './outgoing-filter.js'

/**
 * Runs a validator from its home directory until SIGINT or SIGTERM, then shuts down cleanly (exit code 0), or
 * until consensus stops on a broken invariant (exit code 1).
 */
export async function runValidator(
  home: string,
  options: { byzantine?: OutgoingFilterFactory } = {},
): Promise<void> {
  const node = await Node.create(
    home,
    options.byzantine === undefined ? {} : { byzantine: options.byzantine },
  )
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
