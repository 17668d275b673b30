// The history file: JSON Lines, one record per line, appended as things happen. Each line goes out in one
// write, so a generator that crashes leaves at most its last line torn; the reader accepts a torn last line
// (reporting it) and refuses anything else malformed, naming the line.

import { createReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { decodeHistoryRecord, type HistoryRecord, OperationPairing } from './records.js'

/** Longer lines are not history lines; the reader stops before buffering more. */
export const historyLineLengthMax = 4_096

export class HistoryFormatError extends Error {
  static override name = 'HistoryFormatError'
  override name = 'HistoryFormatError'

  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`)
  }
}

/** A last line without its newline that is not a whole record: the writer stopped in the middle of it. */
export interface TornLine {
  readonly line: number
  /** Its first characters. */
  readonly text: string
}

export interface HistoryContents {
  readonly records: readonly HistoryRecord[]
  readonly tornLastLine: TornLine | undefined
}

/** Appends records to a new history file (an existing one is replaced), one line per record, in call order. */
export class HistoryWriter {
  #tail: Promise<void> = Promise.resolve()
  #closed = false

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<HistoryWriter> {
    return new HistoryWriter(path, await open(path, 'w'))
  }

  /** Resolves once the line is written (to the OS: it survives the process, not a power cut). */
  append(record: HistoryRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`history ${this.path} is closed`))
    const line = `${JSON.stringify(record)}\n`
    try {
      // Checked before writing: a record the reader would refuse never reaches the file.
      decodeHistoryRecord(JSON.parse(line))
      if (line.length > historyLineLengthMax)
        throw new Error(`history record too long: ${line.slice(0, 80)}…`)
    } catch (error) {
      return Promise.reject(error)
    }
    const written = this.#tail.then(async () => {
      await this.handle.write(line)
    })
    // A failed write fails every later append too: a history with a gap is not a history.
    this.#tail = written
    return written
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#tail.catch(() => {})
    await this.handle.close()
  }
}

/** Decodes lines one at a time; the last line is judged at finish(), when it is known to be the last. */
class HistoryParser {
  readonly #records: HistoryRecord[] = []
  readonly #pairing = new OperationPairing()
  #lineCount = 0

  /** The number the next line will have. */
  get nextLine(): number {
    return this.#lineCount + 1
  }

  line(text: string, terminated: boolean): TornLine | undefined {
    const line = ++this.#lineCount
    if (text.length > historyLineLengthMax) throw tooLong(line)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      if (!terminated) return { line, text: text.slice(0, 80) }
      throw new HistoryFormatError(line, text === '' ? 'empty line' : `not JSON: ${text.slice(0, 80)}`)
    }
    let record: HistoryRecord
    try {
      record = decodeHistoryRecord(value)
      this.#pairing.add(record)
    } catch (error) {
      throw new HistoryFormatError(line, (error as Error).message)
    }
    this.#records.push(record)
    return undefined
  }

  get records(): readonly HistoryRecord[] {
    return this.#records
  }
}

/** The records of a history held in a string (the same rules as the file). */
export function parseHistoryText(text: string): HistoryContents {
  const parser = new HistoryParser()
  const lines = text.split('\n')
  const last = lines.pop() ?? ''
  for (const line of lines) parser.line(line, true)
  const tornLastLine = last === '' ? undefined : parser.line(last, false)
  return { records: parser.records, tornLastLine }
}

/** Streams the file, so a long history is never held as one string. */
export async function readHistoryFile(
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<HistoryContents> {
  const parser = new HistoryParser()
  const stream = createReadStream(path, {
    encoding: 'utf8',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  let partial = ''
  for await (const chunk of stream as AsyncIterable<string>) {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) parser.line(line, true)
    if (partial.length > historyLineLengthMax) {
      stream.destroy()
      throw tooLong(parser.nextLine)
    }
  }
  const tornLastLine = partial === '' ? undefined : parser.line(partial, false)
  return { records: parser.records, tornLastLine }
}

function tooLong(line: number): HistoryFormatError {
  return new HistoryFormatError(line, `longer than ${historyLineLengthMax} characters: not a history line`)
}
