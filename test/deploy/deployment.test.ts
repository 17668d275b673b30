// The deployment files in docs/deploy, checked without a Docker engine (test/deploy/docker-image.test.ts,
// `npm run test:docker`, builds the image and runs the compose network where a Docker daemon answers): the
// systemd unit passes `systemd-analyze verify` and its ExecStart, run as systemd would run it, starts a
// validator that stops cleanly on the unit's KillSignal; the Dockerfile builds both stages on the NODE_IMAGE
// argument (the official Node.js image unless a local base is passed), copies only what exists and what its
// dockerignore lets in, and its HEALTHCHECK command answers 0 for a live node and not 0 for a dead one; the
// compose file's services match the homes `--hostnames` writes.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { writeHostHomes } from '../../testnet/hosts.js'
import { freeBasePort } from '../support/free-ports.js'
import { waitFor } from '../support/rpc-checks.js'

const repository = fileURLToPath(new URL('../../', import.meta.url))
const deploy = join(repository, 'docs/deploy')
const bin = join(repository, 'bin/quorate.js')

let dir: string | undefined
let child: ChildProcess | undefined

afterEach(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL')
  child = undefined
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

/** `Key=value` lines of a unit section, in order (repeated keys kept). */
function unitEntries(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string])
}

async function oneValidatorHome(): Promise<{ home: string; rpc: string }> {
  dir = await mkdtemp(join(tmpdir(), 'quorate-deploy-'))
  const base = await freeBasePort(1)
  const network = await writeHostHomes({
    dir,
    hostnames: ['127.0.0.1'],
    chainId: 'quorate-deploy',
    accounts: 0,
    p2pPort: base,
    rpcPort: base + 1,
  })
  return { home: network.validators[0]!.home, rpc: `http://127.0.0.1:${base + 1}/` }
}

function statusExitCode(rpc: string): number | null {
  return spawnSync(process.execPath, [bin, 'status'], {
    env: { ...process.env, QUORATE_RPC: rpc },
    stdio: 'ignore',
    timeout: 20_000,
  }).status
}

describe('the systemd unit', () => {
  const unit = join(deploy, 'quorate.service')
  const hasVerify = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0

  it.skipIf(!hasVerify)('passes systemd-analyze verify (with this checkout as the install)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-unit-'))
    const local = join(dir, 'quorate.service')
    const text = (await readFile(unit, 'utf8'))
      .replace('/usr/bin/node', process.execPath)
      .replace('/opt/quorate/bin/quorate.js', bin)
    await writeFile(local, text)
    execFileSync('systemd-analyze', ['verify', local], { stdio: 'pipe' })
  })

  it('runs its ExecStart as systemd would, and stops cleanly on its KillSignal within TimeoutStopSec', async () => {
    const entries = unitEntries(await readFile(unit, 'utf8'))
    const get = (key: string) => entries.find(([name]) => name === key)?.[1]
    expect(get('KillSignal')).toBe('SIGTERM')
    const stopSeconds = Number(get('TimeoutStopSec'))
    const [node, script, ...args] = get('ExecStart')!.split(' ')
    expect([node, script]).toEqual(['/usr/bin/node', '/opt/quorate/bin/quorate.js'])
    const { home, rpc } = await oneValidatorHome()
    const environment = Object.fromEntries(
      entries
        .filter(([name]) => name === 'Environment')
        .map(([, value]) => value.split('=', 2) as [string, string]),
    )
    expect(environment.QUORATE_HOME).toBe('/var/lib/quorate')
    child = spawn(process.execPath, [bin, ...args.map((arg) => (arg === '/var/lib/quorate' ? home : arg))], {
      env: { ...process.env, ...environment, QUORATE_HOME: home },
      stdio: 'ignore',
    })
    await waitFor('the validator to answer status', async () => statusExitCode(rpc) === 0, 30_000)
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('late'), stopSeconds * 1000)),
    ])
    expect(code).toBe(0)
  }, 60_000)
})

describe('the Dockerfile', () => {
  it('builds both stages on the NODE_IMAGE argument, the official Node.js 20 slim image by default', async () => {
    const dockerfile = await readFile(join(deploy, 'Dockerfile'), 'utf8')
    const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+ /.test(line))
    // An ARG before the first FROM is the only kind a FROM line can use.
    expect(instructions[0]).toBe('ARG NODE_IMAGE=node:20-bookworm-slim')
    const froms = instructions.filter((line) => line.startsWith('FROM '))
    const base = '$' + '{NODE_IMAGE}' // the Dockerfile's own ${} syntax, not a template placeholder
    expect(froms).toEqual([`FROM ${base} AS build`, `FROM ${base}`])
    // BuildKit would pull a `# syntax=` frontend from Docker Hub, which a host building on a local base lacks.
    expect(dockerfile).not.toMatch(/^# *syntax=/m)
  })

  it('copies only sources that exist and that its dockerignore lets in', async () => {
    const dockerfile = await readFile(join(deploy, 'Dockerfile'), 'utf8')
    const ignore = (await readFile(join(deploy, 'Dockerfile.dockerignore'), 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1))
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) =>
      match[1]!.split(' '),
    )
    expect(sources.length).toBeGreaterThan(5)
    for (const source of sources) {
      expect(existsSync(join(repository, source)), `COPY ${source}`).toBe(true)
      expect(ignore, `${source} is excluded by the dockerignore`).toContain(source)
    }
  })

  it('its HEALTHCHECK command answers 0 for a live validator and not 0 for a dead one', async () => {
    const dockerfile = await readFile(join(deploy, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(
      /HEALTHCHECK[^\n]*\n\s+CMD \["node", "\/opt\/quorate\/bin\/quorate.js", "status"\]/,
    )
    expect(dockerfile).toContain('QUORATE_RPC=http://127.0.0.1:26601/')
    const { home, rpc } = await oneValidatorHome()
    expect(statusExitCode(rpc)).not.toBe(0)
    child = spawn(process.execPath, [bin, 'start', '--home', home], { stdio: 'ignore' })
    await waitFor('the validator to answer status', async () => statusExitCode(rpc) === 0, 30_000)
  }, 60_000)
})

describe('the compose file', () => {
  it('runs one service per home that --hostnames writes for its service names, each on its own port', async () => {
    const compose = parse(await readFile(join(deploy, 'compose.yaml'), 'utf8'), { merge: true })
    const services = Object.entries(compose.services as Record<string, Record<string, unknown>>)
    const hostnames = services.map(([, service]) => service.hostname as string)
    dir = await mkdtemp(join(tmpdir(), 'quorate-compose-'))
    const network = await writeHostHomes({
      dir,
      hostnames,
      chainId: 'quorate-compose',
      accounts: 1,
      rpcHost: '0.0.0.0',
    })
    const ports = new Set<string>()
    for (const [name, service] of services) {
      const validator = network.validators.find((v) => v.hostname === name)!
      expect(validator, `service ${name}`).toBeDefined()
      const [volume] = service.volumes as string[]
      const [hostPath, containerPath] = volume!.split(':')
      expect(containerPath).toBe((service.environment as Record<string, string>).QUORATE_HOME)
      expect(join(dir, hostPath!.replace('./homes/', ''))).toBe(validator.home)
      expect(existsSync(join(repository, (service.build as { dockerfile: string }).dockerfile))).toBe(true)
      for (const port of service.ports as string[]) ports.add(port.split(':')[0]!)
    }
    expect(ports.size).toBe(services.length)
  })
})
