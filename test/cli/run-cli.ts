// Runs the built CLI (dist/, as `npm test` builds it first and bin/quorate.js runs it) as its own process, as a
// shell would: exit code, stdout, stderr.
// Asynchronous on purpose: a stub RPC server in the test's own process has to answer while the CLI waits.

import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const cliMain = fileURLToPath(new URL('../../dist/node/cli/main.js', import.meta.url))
const cliRunMsMax = 30_000

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The children still running, so a test's afterEach can kill what a failed assertion left behind. */
export const runningClis = new Set<ChildProcess>()

/** The environment without the QUORATE_* variables a developer's shell may set, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('QUORATE_')) clean[name] = value
  }
  return { ...clean, ...env }
}

export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [cliMain, ...args], {
    cwd: repoRoot,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  runningClis.add(child)
  child.once('exit', () => runningClis.delete(child))
  return child
}

export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs: number = cliRunMsMax,
): Promise<CliRun> {
  const child = spawnCli(args, env)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text
  })
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (exitCode) => resolve(exitCode))
    })
    return { code, stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}

export function killRunningClis(): void {
  for (const child of runningClis) child.kill('SIGKILL')
  runningClis.clear()
}
