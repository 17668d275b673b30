/** A binary min-heap of events by time, ties broken by insertion order, so runs are deterministic. */
export class EventQueue<T> {
  readonly #heap: Array<{ atMs: number; order: number; event: T }> = []
  #order = 0

  get length(): number {
    return this.#heap.length
  }

  peekTime(): number | undefined {
    return this.#heap[0]?.atMs
  }

  push(atMs: number, event: T): void {
    const heap = this.#heap
    heap.push({ atMs, order: this.#order++, event })
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (!this.#less(i, parent)) break
      this.#swap(i, parent)
      i = parent
    }
  }

  pop(): { atMs: number; event: T } | undefined {
    const heap = this.#heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      for (let i = 0; ; ) {
        const left = 2 * i + 1
        const right = left + 1
        let smallest = i
        if (left < heap.length && this.#less(left, smallest)) smallest = left
        if (right < heap.length && this.#less(right, smallest)) smallest = right
        if (smallest === i) break
        this.#swap(i, smallest)
        i = smallest
      }
    }
    return { atMs: top.atMs, event: top.event }
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a]!
    const y = this.#heap[b]!
    return x.atMs < y.atMs || (x.atMs === y.atMs && x.order < y.order)
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap
    const temp = heap[a]!
    heap[a] = heap[b]!
    heap[b] = temp
  }
}
