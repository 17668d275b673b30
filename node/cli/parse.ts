// Parsers for command-line values: each names the flag in its error, so the user knows what to fix.

import { isValidPublicKey } from '../../crypto/ed25519.js'
import { fromHex } from '../../crypto/hex.js'
import { amountMax } from '../../ledger/app/index.js'
import { CliError } from './errors.js'

const addressPattern = /^[0-9a-fA-F]{64}$/
const hashPattern = /^[0-9a-fA-F]{64}$/
const decimalPattern = /^(?:0|[1-9][0-9]*)$/

/** An account address: a 32-byte Ed25519 public key as 64 hex characters. */
export function parseAddress(text: string, flag: string): Uint8Array {
  if (!addressPattern.test(text)) {
    throw new CliError(
      `${flag}: expected an address of 64 hex characters (a 32-byte public key), got "${text}"`,
    )
  }
  const address = fromHex(text, 32)
  if (!isValidPublicKey(address)) {
    throw new CliError(
      `${flag}: ${text.toLowerCase()} is not a valid Ed25519 public key, so it cannot be an address`,
    )
  }
  return address
}

/** A SHA-256 hash (a transaction's or a block's) as 64 hex characters; returned lowercase. */
export function parseHash(text: string, flag: string): string {
  if (!hashPattern.test(text))
    throw new CliError(`${flag}: expected a hash of 64 hex characters, got "${text}"`)
  return text.toLowerCase()
}

/** A positive amount in the ledger's unit, up to u64. */
export function parseAmount(text: string, flag: string): bigint {
  if (!decimalPattern.test(text))
    throw new CliError(`${flag}: expected a whole number such as 100, got "${text}"`)
  const amount = BigInt(text)
  if (amount === 0n) throw new CliError(`${flag}: must be greater than 0`)
  if (amount > amountMax) throw new CliError(`${flag}: must be at most ${amountMax}`)
  return amount
}

export function parseInteger(text: string, flag: string, min: number, max: number): number {
  const value = decimalPattern.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CliError(`${flag}: expected a whole number in ${min}..${max}, got "${text}"`)
  }
  return value
}

/** An http(s) URL, with a trailing slash added to a bare origin. */
export function parseRpcUrl(text: string, flag: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new CliError(`${flag}: expected a URL such as http://127.0.0.1:26601/, got "${text}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${flag}: expected an http:// or https:// URL, got "${text}"`)
  }
  return url.toString()
}
