// Validator OS processes of a local testnet, and the guarantee that none outlives the runner:
// - stop(): SIGTERM to every child, SIGKILL to any still running after a grace period;
// - the runner's 'exit' (normal exit, process.exit, or an uncaught error) SIGKILLs every child still running;
// - each child holds a pipe to the runner on stdin and shuts itself down when it closes, which covers the one
//   case no handler can: the runner itself being SIGKILLed (`quorate start --exit-with-stdin`).

import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'

export const stopGraceMs = 5_000

export interface ValidatorExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface SpawnValidatorOptions {
  readonly index: number
  /** The compiled CLI entry (dist/node/cli/main.js). */
  readonly cliPath: string
  readonly home: string
  /** stdout and stderr are appended here. */
  readonly logFile: string
  /** Run as this malicious fixture (`quorate start --byzantine NAME`). */
  readonly byzantine?: string
}

export interface ValidatorProcess {
  readonly index: number
  readonly pid: number
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<ValidatorExit>
  readonly running: boolean
}

class RunningValidator implements ValidatorProcess {
  readonly index: number
  readonly pid: number
  readonly exited: Promise<ValidatorExit>
  readonly child: ChildProcess
  running = true

  constructor(index: number, child: ChildProcess, exited: Promise<ValidatorExit>) {
    if (child.pid === undefined) throw new Error(`validator ${index} has no pid`)
    this.index = index
    this.pid = child.pid
    this.child = child
    this.exited = exited
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running) return
    try {
      this.child.kill(signal)
    } catch {
      // Already gone: 'exit' is on its way.
    }
  }
}

export type ValidatorExitListener = (process: ValidatorProcess, exit: ValidatorExit) => void

export class ValidatorProcessGroup {
  private readonly validators = new Map<number, RunningValidator>()
  private readonly exitListeners: ValidatorExitListener[] = []
  private stopping: Promise<void> | undefined
  // Synchronous: on 'exit' there is no event loop left to wait with, but kill(2) still goes out.
  private readonly killOnExit = (): void => this.killAllNow()

  constructor() {
    process.on('exit', this.killOnExit)
  }

  get processes(): readonly ValidatorProcess[] {
    return [...this.validators.values()]
  }

  get runningCount(): number {
    let count = 0
    for (const validator of this.validators.values()) if (validator.running) count++
    return count
  }

  onExit(listener: ValidatorExitListener): void {
    this.exitListeners.push(listener)
  }

  /** Starts validator `options.index`; it must not be running already. */
  async spawn(options: SpawnValidatorOptions): Promise<ValidatorProcess> {
    if (this.stopping !== undefined) throw new Error('the testnet is stopping')
    if (this.validators.get(options.index)?.running === true) {
      throw new Error(`validator ${options.index} is already running`)
    }
    const args = [
      '--enable-source-maps',
      options.cliPath,
      'start',
      '--home',
      options.home,
      '--exit-with-stdin',
    ]
    if (options.byzantine !== undefined) args.push('--byzantine', options.byzantine)
    const logFd = openSync(options.logFile, 'a')
    let child: ChildProcess
    try {
      // Its own process group, so a Ctrl-C in the terminal reaches only the runner, which then stops every
      // validator in order instead of all of them racing it.
      child = spawn(process.execPath, args, { stdio: ['pipe', logFd, logFd], detached: true })
    } finally {
      closeSync(logFd)
    }
    // A validator that exits closes its end; writing nothing, we only need to not crash on EPIPE.
    child.stdin?.on('error', () => {})
    const exited = new Promise<ValidatorExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }))
      child.once('error', () => resolve({ code: null, signal: null }))
    })
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    const validator = new RunningValidator(options.index, child, exited)
    this.validators.set(options.index, validator)
    void exited.then((exit) => {
      validator.running = false
      for (const listener of this.exitListeners) listener(validator, exit)
    })
    return validator
  }

  /** Sends `signal` to one validator and resolves when it has exited (SIGKILL after `graceMs` if it has not). */
  async stopOne(
    index: number,
    signal: NodeJS.Signals = 'SIGTERM',
    graceMs: number = stopGraceMs,
  ): Promise<ValidatorExit> {
    const validator = this.validators.get(index)
    if (validator === undefined) throw new Error(`no validator ${index}`)
    validator.signal(signal)
    const timer = setTimeout(() => validator.signal('SIGKILL'), graceMs)
    try {
      return await validator.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends `signal` to one validator (SIGSTOP/SIGCONT pause and resume it; SIGKILL crashes it). */
  signal(index: number, signal: NodeJS.Signals): void {
    const validator = this.validators.get(index)
    if (validator === undefined) throw new Error(`no validator ${index}`)
    validator.signal(signal)
  }

  /** SIGTERM to all, then SIGKILL to those still running after `graceMs`; resolves when all have exited. */
  stop(graceMs: number = stopGraceMs): Promise<void> {
    this.stopping ??= this.stopAll(graceMs)
    return this.stopping
  }

  private async stopAll(graceMs: number): Promise<void> {
    const running = [...this.validators.values()].filter((validator) => validator.running)
    for (const validator of running) {
      // A paused (SIGSTOPped) validator would never act on SIGTERM.
      validator.signal('SIGCONT')
      validator.signal('SIGTERM')
    }
    const allExited = Promise.all(running.map((validator) => validator.exited))
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceMs)
    })
    const first = await Promise.race([allExited, graceOver])
    clearTimeout(timer)
    if (first === 'grace-over') {
      for (const validator of running) validator.signal('SIGKILL')
      await allExited
    }
    process.off('exit', this.killOnExit)
  }

  /** SIGKILL to every validator still running, synchronously. */
  killAllNow(): void {
    for (const validator of this.validators.values()) validator.signal('SIGKILL')
  }
}
