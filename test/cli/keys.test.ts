import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { KeyFileError, readKeyFile } from '../../crypto/keyfile.js'
import { userFacingMessage } from '../../node/cli/errors.js'
import { keysNew } from '../../node/cli/keys.js'

describe('quorate keys new', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-keys-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a 0600 key file whose public key is the printed address', async () => {
    const out = join(dir, 'nested', 'alice.json')
    const result = await keysNew({ out })
    expect(result.key_file).toBe(out)
    expect(result.address).toMatch(/^[0-9a-f]{64}$/)
    expect(toHex((await readKeyFile(out)).publicKey)).toBe(result.address)
    expect((await stat(out)).mode & 0o777).toBe(0o600)
  })

  it('refuses to overwrite an existing key file', async () => {
    const out = join(dir, 'alice.json')
    const first = await keysNew({ out })
    const error = await keysNew({ out }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KeyFileError)
    expect(userFacingMessage(error)).toMatch(/already exists/)
    expect(toHex((await readKeyFile(out)).publicKey)).toBe(first.address)
  })

  it('replaces it with --force', async () => {
    const out = join(dir, 'alice.json')
    const first = await keysNew({ out })
    const second = await keysNew({ out, force: true })
    expect(second.address).not.toBe(first.address)
    expect(toHex((await readKeyFile(out)).publicKey)).toBe(second.address)
  })
})
