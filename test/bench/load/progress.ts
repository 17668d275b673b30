// A progress bar on stderr while the benchmark runs (stdout carries only the results). On a terminal it
// redraws one line; otherwise (a log, the test suite) it prints a line when the phase changes and at most
// every few seconds.

const barWidth = 24
const plainIntervalMs = 5_000

export class ProgressLine {
  #phase = ''
  #lastPlainMs = 0
  #drawn = false

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** `fraction` of `phase` done (0..1), with `detail` after the bar. */
  show(phase: string, fraction: number, detail = ''): void {
    const clamped = Math.min(1, Math.max(0, fraction))
    const filled = Math.round(clamped * barWidth)
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${String(Math.round(clamped * 100)).padStart(3)}%`
    const text = `${phase} ${bar}${detail === '' ? '' : `  ${detail}`}`
    if (this.stream.isTTY) {
      this.stream.write(`\r\u001b[2K${text}`)
      this.#drawn = true
      return
    }
    const now = Date.now()
    if (phase !== this.#phase || now - this.#lastPlainMs >= plainIntervalMs) {
      this.stream.write(`${text}\n`)
      this.#lastPlainMs = now
    }
    this.#phase = phase
  }

  /** Ends the bar's line so that what follows starts on a fresh one. */
  done(): void {
    if (this.#drawn) this.stream.write('\n')
    this.#drawn = false
    this.#phase = ''
  }
}
