import { readFile, stat } from 'node:fs/promises'

/**
 * An error about one field of a file a person wrote (genesis, node config): the message leads with the
 * field's path so the fix is obvious, and `field` lets callers and tests tell which one it was.
 */
export class FieldError extends Error {
  static override name = 'FieldError'
  override name = 'FieldError'
  /** The field path the error is about, e.g. `validators[2].consensus_key` (empty for the whole file). */
  readonly field: string

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(field === '' ? problem : `${field}: ${problem}`, options)
    this.field = field
  }
}

/**
 * Reads a JSON file a person wrote, refusing one larger than `bytesMax` before reading it. Every failure
 * (missing, unreadable, too large, not JSON) is thrown as `fail(problem)`, naming the file and `what` it is.
 */
export async function readJsonFile(
  path: string,
  what: string,
  bytesMax: number,
  fail: (problem: string, options?: ErrorOptions) => FieldError,
): Promise<unknown> {
  let text: string
  try {
    const info = await stat(path)
    if (info.size > bytesMax) throw fail(`${what} ${path} is larger than ${bytesMax} bytes`)
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (error instanceof FieldError) throw error
    throw fail(`cannot read ${what} ${path}: ${messageOf(error)}`, { cause: error })
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw fail(`${what} ${path} is not valid JSON: ${messageOf(error)}`, { cause: error })
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
