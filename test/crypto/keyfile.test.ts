// Key files: written 0600, read back exactly, and every way a file can be wrong gives a KeyFileError whose
// message names the file and the problem.

import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generateKeyPair,
  KeyFileError,
  type KeyFileErrorCode,
  keyFileBytesMax,
  parseKeyFile,
  readKeyFile,
  toHex,
  writeKeyFile,
} from '../../crypto/index.js'

let directory: string
let fileNumber = 0
const freshPath = (): string => join(directory, `key-${fileNumber++}.json`)

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'quorate-keyfile-'))
})
afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

async function expectKeyFileError(
  promise: Promise<unknown>,
  code: KeyFileErrorCode,
  message: RegExp,
): Promise<KeyFileError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(KeyFileError)
  const keyFileError = error as KeyFileError
  expect(keyFileError.name).toBe('KeyFileError')
  expect(keyFileError.code).toBe(code)
  expect(keyFileError.message).toMatch(message)
  return keyFileError
}

/** Writes a key file by hand, with selected fields replaced. */
async function handWritten(fields: Record<string, unknown>): Promise<string> {
  const keyPair = generateKeyPair()
  const document = {
    type: 'ed25519',
    public_key: toHex(keyPair.publicKey),
    secret_key: toHex(keyPair.secretKey),
    ...fields,
  }
  const path = freshPath()
  await writeFile(path, JSON.stringify(document), { mode: 0o600 })
  return path
}

describe('writing and reading key files', () => {
  it('round trip: the key pair read is the key pair written', async () => {
    const keyPair = generateKeyPair()
    const path = freshPath()
    await writeKeyFile(path, keyPair)
    const read = await readKeyFile(path)
    expect(toHex(read.secretKey)).toBe(toHex(keyPair.secretKey))
    expect(toHex(read.publicKey)).toBe(toHex(keyPair.publicKey))
  })

  it('writes the documented JSON: type, public_key and secret_key in lowercase hex, nothing else', async () => {
    const keyPair = generateKeyPair()
    const path = freshPath()
    await writeKeyFile(path, keyPair)
    const document: unknown = JSON.parse(await readFile(path, 'utf8'))
    expect(document).toEqual({
      type: 'ed25519',
      public_key: toHex(keyPair.publicKey),
      secret_key: toHex(keyPair.secretKey),
    })
    expect(JSON.stringify(document)).toMatch(/^[^A-F]*$/)
  })

  it('creates the file with mode 0600', async () => {
    const path = freshPath()
    await writeKeyFile(path, generateKeyPair())
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('refuses to replace an existing file unless asked, and leaves it untouched', async () => {
    const first = generateKeyPair()
    const path = freshPath()
    await writeKeyFile(path, first)
    const before = await readFile(path, 'utf8')
    const error = await expectKeyFileError(writeKeyFile(path, generateKeyPair()), 'exists', /already exists/)
    expect(error.message).toContain(path)
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('with overwrite, replaces the file and the result is 0600 even if the old file was world-readable', async () => {
    const path = freshPath()
    await writeFile(path, 'old contents', { mode: 0o644 })
    const keyPair = generateKeyPair()
    await writeKeyFile(path, keyPair, { overwrite: true })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(toHex((await readKeyFile(path)).publicKey)).toBe(toHex(keyPair.publicKey))
  })

  it('refuses to write a key pair whose public key is not its secret key’s', async () => {
    const path = freshPath()
    const mixed = { secretKey: generateKeyPair().secretKey, publicKey: generateKeyPair().publicKey }
    await expectKeyFileError(writeKeyFile(path, mixed), 'key_mismatch', /does not match/)
    await expect(stat(path)).rejects.toThrow(/ENOENT/)
  })
})

describe('reading bad key files: a KeyFileError that names the file and the problem', () => {
  it('a missing file: says so and how to create one', async () => {
    const path = join(directory, 'missing.json')
    const error = await expectKeyFileError(readKeyFile(path), 'not_found', /does not exist/)
    expect(error.message).toContain(path)
    expect(error.message).toContain(`quorate keys new --out ${path}`)
  })

  it('a path that cannot be read as a file (a directory)', async () => {
    const path = join(directory, 'a-directory')
    await mkdir(path)
    const error = await expectKeyFileError(readKeyFile(path), 'unreadable', /cannot read key file/)
    expect(error.message).toContain(path)
  })

  it('a file too large to be a key file is not read', async () => {
    const path = freshPath()
    await writeFile(path, ' '.repeat(keyFileBytesMax + 1))
    await expectKeyFileError(readKeyFile(path), 'too_large', /too large for a key file/)
  })

  it('text that is not JSON', async () => {
    const path = freshPath()
    await writeFile(path, '{ "type": "ed25519", ')
    const error = await expectKeyFileError(readKeyFile(path), 'bad_json', /is not valid JSON/)
    expect(error.message).toContain(path)
  })

  it('a JSON syntax error does not quote the file (it may hold the secret key)', async () => {
    const secret = 'c0ffee'.repeat(10)
    const path = freshPath()
    await writeFile(path, `x{"secret_key": "${secret}"}`)
    const error = await expectKeyFileError(
      readKeyFile(path),
      'bad_json',
      /is not valid JSON; expected \{ "type": "ed25519"/,
    )
    expect(error.message).not.toMatch(/x\{|c0ffee/)
    expect(error.cause).toBeUndefined()
  })

  it('JSON that is not an object', async () => {
    for (const text of ['[]', 'null', '"ed25519"', '42']) {
      expect(() => parseKeyFile(text, 'k.json'), text).toThrow(/must hold a JSON object/)
    }
  })

  it('a wrong or missing type', async () => {
    await expectKeyFileError(
      readKeyFile(await handWritten({ type: 'secp256k1' })),
      'bad_type',
      /"secp256k1"; expected "ed25519"/,
    )
    await expectKeyFileError(
      readKeyFile(await handWritten({ type: undefined })),
      'bad_type',
      /expected "ed25519"/,
    )
  })

  it('bad hex: not hex, wrong length, not a string, or missing', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ public_key: 'zz'.repeat(32) }, /"public_key" is not 32 bytes of hex/],
      [{ secret_key: 'ab'.repeat(31) }, /"secret_key" is not 32 bytes of hex/],
      [{ secret_key: 'abc' }, /"secret_key" is not 32 bytes of hex/],
      [{ public_key: 42 }, /"public_key" must be a string of 64 hex digits/],
      [{ secret_key: undefined }, /"secret_key" must be a string of 64 hex digits/],
    ]
    for (const [fields, message] of cases) {
      await expectKeyFileError(readKeyFile(await handWritten(fields)), 'bad_hex', message)
    }
  })

  it('a public key that does not belong to the secret key', async () => {
    const other = toHex(generateKeyPair().publicKey)
    const error = await expectKeyFileError(
      readKeyFile(await handWritten({ public_key: other })),
      'key_mismatch',
      /does not belong to secret_key/,
    )
    expect(error.message).toContain(other)
  })

  it('a public key the validation rule refuses (small order, non-canonical), with the reason', async () => {
    const smallOrder = 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'
    await expectKeyFileError(
      readKeyFile(await handWritten({ public_key: smallOrder })),
      'invalid_public_key',
      /invalid Ed25519 public key: a small-order point/,
    )
    const nonCanonical = 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
    await expectKeyFileError(
      readKeyFile(await handWritten({ public_key: nonCanonical })),
      'invalid_public_key',
      /non-canonical encoding/,
    )
  })

  it('uppercase hex is accepted (files may be edited by hand)', async () => {
    const keyPair = generateKeyPair()
    const path = await handWritten({
      public_key: toHex(keyPair.publicKey).toUpperCase(),
      secret_key: toHex(keyPair.secretKey).toUpperCase(),
    })
    expect(toHex((await readKeyFile(path)).publicKey)).toBe(toHex(keyPair.publicKey))
  })
})
