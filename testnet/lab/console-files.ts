// The web console's files (testnet/console/), served as they are: no build step. Found beside the sources
// when run from them and at the package root when run from dist/. Served: index.html and every module and
// style sheet directly in the folder, by a plain name, so no path can reach anything else.

import { readFile } from 'node:fs/promises'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** `/index.html`, `/console.js`, `/console.css`, `/event-log.js`: one plain name, no folder, no `..`. */
const servedPath = /^\/(index\.html|[a-z0-9-]+\.(?:js|css))$/

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
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
  const name = servedPath.exec(path === '/' ? '/index.html' : path)?.[1]
  const contentType = name === undefined ? undefined : contentTypes[extname(name)]
  if (name === undefined || contentType === undefined) return undefined
  const body = await readFile(join(consoleDir(), name)).catch(() => undefined)
  return body === undefined ? undefined : { body, contentType }
}
