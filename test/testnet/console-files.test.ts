// The console's file server: index.html for `/`, any module or style sheet directly in testnet/console/ by its
// plain name with its content type, and nothing else: no other extension, no folder, no way out of the folder.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { consoleDir, consoleFile } from '../../testnet/lab/console-files.js'

describe('the web console files', () => {
  it('serves index.html for /, as HTML that loads the console.js module', async () => {
    const file = await consoleFile('/')
    expect(file?.contentType).toBe('text/html; charset=utf-8')
    expect(file?.body.toString('utf8')).toContain('<script type="module" src="console.js"></script>')
    expect((await consoleFile('/index.html'))?.body).toEqual(file?.body)
  })

  it('serves a module by name as JavaScript, and the style sheet as CSS', async () => {
    const module = await consoleFile('/event-log.js')
    expect(module?.contentType).toBe('text/javascript; charset=utf-8')
    expect(module?.body).toEqual(await readFile(join(consoleDir(), 'event-log.js')))
    expect((await consoleFile('/console.css'))?.contentType).toBe('text/css; charset=utf-8')
  })

  it('serves every module console.js imports, directly or through another module', async () => {
    const seen = new Set<string>()
    const pending = ['console.js']
    while (pending.length > 0) {
      const name = pending.pop()!
      if (seen.has(name)) continue
      seen.add(name)
      const file = await consoleFile(`/${name}`)
      expect(file?.contentType, name).toBe('text/javascript; charset=utf-8')
      const source = file!.body.toString('utf8')
      for (const [, imported] of source.matchAll(/^import [^']*'\.\/([^']+)'$/gm)) pending.push(imported!)
    }
    expect(seen.size).toBeGreaterThan(1)
  })

  it('refuses a path out of the folder, another extension, a subfolder and a missing file', async () => {
    for (const path of [
      '/../package.json',
      '/..%2Fpackage.json',
      '/x.txt',
      '/sub/a.js',
      '/Console.js',
      '/no-such-module.js',
      'console.js',
      '',
    ]) {
      expect(await consoleFile(path), path).toBeUndefined()
    }
  })
})
