// Writes to one database go through one queue: classic-level runs each write on the libuv pool, and two writes
// in flight may reach LevelDB in either order, so a later safety state could be overwritten by an earlier one.

export class WriteQueue {
  #tail: Promise<void> = Promise.resolve()

  /** Runs `write` after every write enqueued before it has settled; resolves or rejects with it. */
  enqueue(write: () => Promise<void>): Promise<void> {
    const result = this.#tail.then(write)
    this.#tail = result.catch(() => {})
    return result
  }

  /** Settles once every write enqueued so far has settled (whatever its outcome). */
  drained(): Promise<void> {
    return this.#tail
  }
}
