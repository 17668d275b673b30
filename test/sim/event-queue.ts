/** Events ordered by time, ties broken by insertion order, so runs are deterministic. */
export class EventQueue<T> {
  readonly #items: Array<{ atMs: number; order: number; event: T }> = []
  #order = 0

  push(atMs: number, event: T): void {
    const item = { atMs, order: this.#order++, event }
    // Binary search for the insertion point keeps pop O(1).
    let low = 0
    let high = this.#items.length
    while (low < high) {
      const mid = (low + high) >>> 1
      const other = this.#items[mid]!
      if (other.atMs > atMs || (other.atMs === atMs && other.order > item.order)) high = mid
      else low = mid + 1
    }
    this.#items.splice(low, 0, item)
  }

  pop(): { atMs: number; event: T } | undefined {
    return this.#items.shift()
  }

  get length(): number {
    return this.#items.length
  }
}
