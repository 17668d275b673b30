// The bench's side of the load generator: spawns it as a child process (compiled JavaScript when the bench
// runs from dist/, TypeScript through tsx when it runs from source, as in the test suite), sends it commands
// and hands its events to the caller. The generator dies with the bench: its stdin is a pipe from here.

import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  decodeEvent,
  encodeLine,
  type GeneratorCommand,
  type GeneratorEvent,
  type LevelCommand,
  type LevelSummary,
} from './protocol.js'

export class LoadGeneratorError extends Error {
  static override name = 'LoadGeneratorError'
  override name = 'LoadGeneratorError'
}

const readyTimeoutMs = 30_000
const quitGraceMs = 5_000

export interface LevelListener {
  /** Called at once on the event, so snapshots taken in it are on time; awaited before runLevel returns. */
  windowStart(): Promise<void>
  windowEnd(): Promise<void>
  progress(committed: number, errors: number): void
}

export class LoadGeneratorProcess {
  readonly #child: ChildProcess
  readonly #events: GeneratorEvent[] = []
  #wake: (() => void) | undefined
  #exit: string | undefined

  private constructor(child: ChildProcess) {
    this.#child = child
    const lines = createInterface({ input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY })
    lines.on('line', (line) => {
      try {
        this.#events.push(decodeEvent(line))
      } catch (error) {
        this.#events.push({ type: 'failed', message: `unreadable event: ${String(error)}` })
      }
      this.#wake?.()
    })
    // 'close', not 'exit': by then every line it wrote has been read.
    child.once('close', (code, signal) => {
      this.#exit = `the load generator exited (${signal ?? `code ${code}`})`
      this.#wake?.()
    })
  }

  get pid(): number {
    return this.#child.pid ?? -1
  }

  static async start(infoFile: string, requestTimeoutMs?: number): Promise<LoadGeneratorProcess> {
    const here = fileURLToPath(import.meta.url)
    const compiled = here.endsWith('.js')
    const script = join(dirname(here), compiled ? 'generator.js' : 'generator.ts')
    const args = [...(compiled ? [] : ['--import', 'tsx']), script, infoFile]
    if (requestTimeoutMs !== undefined) args.push(String(requestTimeoutMs))
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
    child.stdin?.on('error', () => {})
    const generator = new LoadGeneratorProcess(child)
    const ready = await generator.#next(readyTimeoutMs)
    if (ready.type !== 'ready') throw new LoadGeneratorError(`expected ready, got ${JSON.stringify(ready)}`)
    return generator
  }

  async runLevel(command: LevelCommand, listener: LevelListener): Promise<LevelSummary> {
    this.#send(command)
    const snapshots: Promise<void>[] = []
    for (;;) {
      const event = await this.#next()
      switch (event.type) {
        case 'window-start':
        case 'window-end': {
          const taken = event.type === 'window-start' ? listener.windowStart() : listener.windowEnd()
          // Awaited below with the others; until then a failure must not count as an unhandled rejection.
          taken.catch(() => {})
          snapshots.push(taken)
          break
        }
        case 'progress':
          listener.progress(event.committed, event.errors)
          break
        case 'level-done':
          await Promise.all(snapshots)
          return event.summary
        default:
          throw new LoadGeneratorError(`unexpected event ${JSON.stringify(event)}`)
      }
    }
  }

  /** Ends the running level now (runLevel then resolves with a window that closed at this moment). */
  stopLevel(): void {
    this.#send({ type: 'stop' })
  }

  /** Asks it to quit; SIGKILL if it has not after a grace period. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()))
    this.#send({ type: 'quit' })
    this.#child.stdin?.end()
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), quitGraceMs)
    await exited
    clearTimeout(timer)
  }

  #send(command: GeneratorCommand): void {
    this.#child.stdin?.write(encodeLine(command))
  }

  async #next(timeoutMs?: number): Promise<GeneratorEvent> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs
    for (;;) {
      const event = this.#events.shift()
      if (event !== undefined) {
        if (event.type === 'failed')
          throw new LoadGeneratorError(`the load generator failed: ${event.message}`)
        return event
      }
      if (this.#exit !== undefined) throw new LoadGeneratorError(this.#exit)
      if (deadline !== undefined && Date.now() > deadline) {
        throw new LoadGeneratorError(`no event from the load generator within ${timeoutMs} ms`)
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        if (deadline !== undefined) setTimeout(resolve, Math.max(0, deadline - Date.now())).unref()
      })
      this.#wake = undefined
    }
  }
}
