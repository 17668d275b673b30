// The web console's files (testnet/console/), served as they are: no build step. Found beside the sources
// when run from them and at the package root when run from dist/.

import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const contentTypes: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
}

export function consoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  // dist/testnet/lab → testnet/console at the package root; testnet/lab → testnet/console.
  return here.split('/').includes('dist')
    ? join(here, '..', '..', '..', 'testnet', 'console')
    : join(here, '..', 'console')
}

/** The file at `path` (`/` is index.html), or undefined when it is not one of the console's files. */
export async function consoleFile(path: string): Promise<{ body: Buffer; contentType: string } | undefined> {
  const name = path === '/' ? 'index.html' : path.slice(1)
  const contentType = contentTypes[name]
  if (contentType === undefined) return undefined
  const body = await readFile(join(consoleDir(), name)).catch(() => undefined)
  return body === undefined ? undefined : { body, contentType }
}
