// Key files: JSON { "type": "ed25519", "public_key": hex, "secret_key": hex }, mode 0600. The public key is
// stored so an operator can read it without tools, and is checked against the secret on every read, so a
// file edited by hand or mixed up with another cannot silently sign as someone else.

import { constants as fsConstants } from 'node:fs'
import { chmod, open, rename, rm } from 'node:fs/promises'
import { type KeyPair, keyPairFromSecret, registerPublicKey } from './ed25519.js'
import { InvalidPublicKeyError } from './ed25519-checks.js'
import { ed25519PublicKeyBytes, ed25519SecretKeyBytes } from './ed25519-constants.js'
import { bytesEqual, fromHex, HexError, toHex } from './hex.js'

export type KeyFileErrorCode =
  | 'not_found'
  | 'unreadable'
  | 'too_large'
  | 'bad_json'
  | 'bad_type'
  | 'bad_hex'
  | 'invalid_public_key'
  | 'key_mismatch'
  | 'exists'

export class KeyFileError extends Error {
  static override name = 'KeyFileError'
  override name = 'KeyFileError'
  readonly code: KeyFileErrorCode
  readonly path: string

  constructor(code: KeyFileErrorCode, path: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.path = path
  }
}

export const keyFileType = 'ed25519'
/** A key file is about 200 bytes; anything much larger is not one, and is not read into memory. */
export const keyFileBytesMax = 4_096
export const keyFileMode = 0o600
const keyFileShape = '{ "type": "ed25519", "public_key": "<64 hex digits>", "secret_key": "<64 hex digits>" }'

export interface WriteKeyFileOptions {
  /** Replace an existing file (atomically, by rename); without it an existing file is an error. */
  overwrite?: boolean
}

export function formatKeyFile(keyPair: KeyPair): string {
  const document = {
    type: keyFileType,
    public_key: toHex(keyPair.publicKey),
    secret_key: toHex(keyPair.secretKey),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined
}

/** Writes with mode 0600 and fsync. Refuses a key pair whose public key does not belong to its secret. */
export async function writeKeyFile(
  path: string,
  keyPair: KeyPair,
  options: WriteKeyFileOptions = {},
): Promise<void> {
  const derived = keyPairFromSecret(keyPair.secretKey)
  if (!bytesEqual(derived.publicKey, keyPair.publicKey)) {
    throw new KeyFileError(
      'key_mismatch',
      path,
      `refusing to write ${path}: the public key does not match the secret key`,
    )
  }
  const text = formatKeyFile(keyPair)
  if (options.overwrite !== true) {
    try {
      await writeNewFile(path, text)
    } catch (error) {
      if (errorCode(error) === 'EEXIST') {
        throw new KeyFileError('exists', path, `key file ${path} already exists; not overwriting it`, {
          cause: error,
        })
      }
      throw error
    }
    return
  }
  // Write beside the target and rename over it, so a crash leaves either the old key or the new one.
  const temporaryPath = `${path}.${process.pid}.${Date.now()}.tmp`
  try {
    await writeNewFile(temporaryPath, text)
    await rename(temporaryPath, path)
  } catch (error) {
    await rm(temporaryPath, { force: true })
    throw error
  }
}

async function writeNewFile(path: string, text: string): Promise<void> {
  // 'wx': fail rather than follow or replace whatever is already there; the mode applies on creation.
  const handle = await open(path, 'wx', keyFileMode)
  try {
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    // The umask can only remove bits from 0600, but say exactly what we mean.
    await chmod(path, keyFileMode)
  } catch (error) {
    // Never leave a truncated key file behind for the next start to trip over.
    await rm(path, { force: true })
    throw error
  }
}

/** Reads and checks a key file; every failure is a KeyFileError that says what to do. */
export async function readKeyFile(path: string): Promise<KeyPair> {
  let text: string
  try {
    // O_NOFOLLOW is not used: operators may keep keys behind symlinks. The size is checked before reading.
    const handle = await open(path, fsConstants.O_RDONLY)
    try {
      const { size } = await handle.stat()
      if (size > keyFileBytesMax) {
        throw new KeyFileError(
          'too_large',
          path,
          `${path} is ${size} bytes, too large for a key file (at most ${keyFileBytesMax}); is it the right file?`,
        )
      }
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (error instanceof KeyFileError) throw error
    const code = errorCode(error)
    if (code === 'ENOENT') {
      throw new KeyFileError(
        'not_found',
        path,
        `key file ${path} does not exist; create one with: quorate keys new --out ${path}`,
        { cause: error },
      )
    }
    const detail = error instanceof Error ? error.message : String(error)
    throw new KeyFileError('unreadable', path, `cannot read key file ${path}: ${detail}`, { cause: error })
  }
  return parseKeyFile(text, path)
}

function hexField(document: Record<string, unknown>, field: string, bytes: number, path: string): Uint8Array {
  const value = document[field]
  if (typeof value !== 'string') {
    throw new KeyFileError(
      'bad_hex',
      path,
      `key file ${path}: "${field}" must be a string of ${bytes * 2} hex digits`,
    )
  }
  try {
    return fromHex(value, bytes)
  } catch (error) {
    if (!(error instanceof HexError)) throw error
    throw new KeyFileError(
      'bad_hex',
      path,
      `key file ${path}: "${field}" is not ${bytes} bytes of hex (${error.message})`,
      {
        cause: error,
      },
    )
  }
}

/** Parses and checks the text of a key file; `path` only names the file in error messages. */
export function parseKeyFile(text: string, path: string): KeyPair {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    // V8's message can quote a few characters of the input, which could be part of the secret key: keep only
    // the position, and do not attach the original error as the cause.
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined
    const where = position === undefined ? '' : ` (at character ${position})`
    throw new KeyFileError(
      'bad_json',
      path,
      `key file ${path} is not valid JSON${where}; expected ${keyFileShape}`,
    )
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new KeyFileError('bad_json', path, `key file ${path} must hold a JSON object: ${keyFileShape}`)
  }
  const fields = document as Record<string, unknown>
  if (fields.type !== keyFileType) {
    throw new KeyFileError(
      'bad_type',
      path,
      `key file ${path} has type ${JSON.stringify(fields.type)}; expected "${keyFileType}"`,
    )
  }
  const publicKey = hexField(fields, 'public_key', ed25519PublicKeyBytes, path)
  const secretKey = hexField(fields, 'secret_key', ed25519SecretKeyBytes, path)
  try {
    registerPublicKey(publicKey)
  } catch (error) {
    if (!(error instanceof InvalidPublicKeyError)) throw error
    throw new KeyFileError('invalid_public_key', path, `key file ${path}: ${error.message}`, { cause: error })
  }
  const keyPair = keyPairFromSecret(secretKey)
  if (!bytesEqual(keyPair.publicKey, publicKey)) {
    throw new KeyFileError(
      'key_mismatch',
      path,
      `key file ${path}: public_key ${toHex(publicKey)} does not belong to secret_key (which gives ${toHex(keyPair.publicKey)})`,
    )
  }
  return keyPair
}
