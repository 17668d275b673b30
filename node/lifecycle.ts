/**
 * Resources opened in order and closed in reverse. When a later part fails to open, everything opened
 * before it is closed again, so a failed start never leaves a listener, a libp2p host or a database behind.
 */
export class Lifecycle {
  readonly #opened: Array<{ readonly name: string; readonly close: () => Promise<void> | void }> = []
  #closing: Promise<void> | null = null

  /** Opens one part; if that throws, closes what is open and rethrows. */
  async open<T>(name: string, open: () => Promise<T>, close: (part: T) => Promise<void> | void): Promise<T> {
    if (this.#closing !== null) throw new Error(`cannot open ${name}: closing`)
    let part: T
    try {
      part = await open()
    } catch (error) {
      await this.close((closeError) => {
        throw new AggregateError([error, closeError], `opening ${name} failed, and so did closing`)
      })
      throw error
    }
    this.#opened.push({ name, close: () => close(part) })
    return part
  }

  /** Closes every opened part, last first; a part that fails to close does not stop the others. */
  close(onError: (error: unknown, name: string) => void = () => {}): Promise<void> {
    this.#closing ??= (async () => {
      for (const { name, close } of this.#opened.reverse()) {
        try {
          await close()
        } catch (error) {
          onError(error, name)
        }
      }
      this.#opened.length = 0
    })()
    return this.#closing
  }
}
