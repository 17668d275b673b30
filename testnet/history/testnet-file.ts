// Reading DIR/testnet.json for the history tools: the fields they use are checked (a clear error otherwise);
// `fixture`, which a validator entry may carry (the malicious fixture it runs), is read where present.

import { readFile } from 'node:fs/promises'
import type { TestnetInfo, TestnetValidatorInfo } from '../info.js'
import { testnetInfoFile } from '../layout.js'

export class TestnetFileError extends Error {
  static override name = 'TestnetFileError'
  override name = 'TestnetFileError'
}

/** The malicious fixture validator runs, or null when it runs honest (or the file does not say). */
export function validatorFixture(validator: TestnetValidatorInfo): string | null {
  const fixture: unknown = (validator as { fixture?: unknown }).fixture
  return typeof fixture === 'string' && fixture !== '' ? fixture : null
}

export async function readTestnetFile(dir: string): Promise<TestnetInfo> {
  const path = testnetInfoFile(dir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new TestnetFileError(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error}); is DIR a testnet?`,
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new TestnetFileError(`${path} is not JSON`)
  }
  const problem = describeProblem(value)
  if (problem !== undefined) throw new TestnetFileError(`${path}: ${problem}`)
  // The fields the history tools read are checked above; the others are passed on as the runner wrote them.
  return value as TestnetInfo
}

function describeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected a JSON object'
  if (typeof value.chain_id !== 'string') return 'chain_id: expected a string'
  if (!Array.isArray(value.validators)) return 'validators: expected an array'
  for (const [position, validator] of value.validators.entries()) {
    if (!isObject(validator) || validator.index !== position)
      return `validators[${position}]: expected an object with index ${position}`
    if (typeof validator.rpc !== 'string' || !URL.canParse(validator.rpc))
      return `validators[${position}].rpc: expected a URL`
  }
  if (!Array.isArray(value.accounts)) return 'accounts: expected an array'
  for (const [position, account] of value.accounts.entries()) {
    if (!isObject(account) || typeof account.key_file !== 'string' || typeof account.address !== 'string')
      return `accounts[${position}]: expected an object with key_file and address`
  }
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
