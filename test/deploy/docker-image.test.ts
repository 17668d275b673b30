// The Docker deployment for real (`npm run test:docker`; `npm test` leaves it out): builds the image from
// docs/deploy/Dockerfile with exactly the files its dockerignore lets in, on the official Node.js base or, where
// Docker Hub is out of reach, on the local stand-in that docs/deploy/local-node-image.sh builds; then runs the
// 4-validator network of docs/deploy/compose.yaml on homes from `quorate testnet --hostnames`, the containers
// dialing each other by service name on the compose network and only their RPC ports published, on free ports
// of 127.0.0.1. Checks: the image runs as uid 10001 with a HEALTHCHECK, every container turns healthy by it, a
// transfer submitted with the CLI commits and every validator holds the same blocks, and `compose down` leaves
// no container or network behind. Everything it creates (containers, network, image, temporary homes) is
// removed afterwards, whatever failed; the local base image stays for the next run. Without a Docker daemon, or
// without Compose (`docker compose` or Debian's `docker-compose`), it skips, saying why.
//
// The build reaches the npm registry as this machine does: `npm config get registry`, the HTTP(S)_PROXY
// variables, the host's network (`--network host`), and the CA certificates of NODE_EXTRA_CA_CERTS that Node's own
// store lacks (a TLS-intercepting proxy's), as the Dockerfile's EXTRA_CA_CERTS build argument.

import { execFile, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { rpcCall } from '../../node/rpc/client.js'
import { rpcPort } from '../../testnet/layout.js'
import { freeBasePort } from '../support/free-ports.js'
import { checkAgreementUpTo, type StatusResult, status, waitFor } from '../support/rpc-checks.js'

const execFileAsync = promisify(execFile)
const repository = fileURLToPath(new URL('../../', import.meta.url))
const deploy = join(repository, 'docs/deploy')
const bin = join(repository, 'bin/quorate.js')
const dockerfile = 'docs/deploy/Dockerfile'
const localBaseImage = 'quorate-node-base:20-bookworm'
const officialBaseImage = 'node:20-bookworm-slim'
const image = `quorate:docker-test-${process.pid}`
const project = `quorate-docker-test-${process.pid}`
const imageUid = '10001'
const containerHome = '/var/lib/quorate'
const commandTimeoutMs = 60_000
const buildTimeoutMs = 15 * 60_000
const healthyTimeoutMs = 3 * 60_000
const buildOutputLinesMax = 40

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? ''
}

function whyNot(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (info.error !== undefined) return `no docker client (${info.error.message})`
  if (info.status !== 0) return `no Docker daemon answers \`docker info\` (${firstLine(info.stderr)})`
  if (composeCommand === undefined) return 'no Compose: neither `docker compose` nor `docker-compose` runs'
  return undefined
}

/** `docker compose` (v2) where it runs, else `docker-compose` (v1, Debian 12's package), else none. */
const composeCommand: readonly string[] | undefined = [['docker', 'compose'], ['docker-compose']].find(
  ([command, ...args]) =>
    spawnSync(command!, [...args, 'version'], { stdio: 'ignore', timeout: 30_000 }).status === 0,
)
const skipReason = whyNot()
if (skipReason !== undefined) console.warn(`docker-image.test.ts: skipped, ${skipReason}`)

/** Runs a command to its end; its stdout, or an error carrying its stderr. */
async function run(command: string, args: readonly string[], timeoutMs = commandTimeoutMs): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd: repository,
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    })
    return stdout
  } catch (error: unknown) {
    const stderr = (error as { stderr?: string }).stderr ?? ''
    throw new Error(`${command} ${args.join(' ')} failed: ${String(error)}\n${stderr.slice(-4000)}`)
  }
}

const docker = (...args: string[]) => run('docker', args)
const imageExists = (name: string) =>
  spawnSync('docker', ['image', 'inspect', name], { stdio: 'ignore', timeout: 30_000 }).status === 0
const danglingImages = async () =>
  new Set((await docker('images', '--quiet', '--no-trunc', '--filter', 'dangling=true')).split('\n'))

/**
 * The certificates that Node on this machine trusts beyond its own store (NODE_EXTRA_CA_CERTS, less the ones
 * that store has): what npm in the build stage needs on top of its own store to reach the registry here.
 */
async function extraCaCertificates(): Promise<string> {
  const file = process.env.NODE_EXTRA_CA_CERTS
  if (file === undefined || file === '') return ''
  const normal = (pem: string) => pem.replace(/\s+/g, '')
  const known = new Set(rootCertificates.map(normal))
  const pems = (await readFile(file, 'utf8')).match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  )
  return (pems ?? []).filter((pem) => !known.has(normal(pem))).join('\n')
}

/** The base both stages build on: QUORATE_NODE_IMAGE, else the local stand-in (built if absent), else Hub's. */
async function baseImage(): Promise<string> {
  const chosen = process.env.QUORATE_NODE_IMAGE
  if (chosen !== undefined && chosen !== '') return chosen
  for (const present of [localBaseImage, officialBaseImage]) if (imageExists(present)) return present
  const hasDebootstrap =
    spawnSync('sh', ['-c', 'command -v debootstrap || test -x /usr/sbin/debootstrap'], { stdio: 'ignore' })
      .status === 0
  if (!hasDebootstrap) return officialBaseImage // for the build to pull from Docker Hub
  await run('bash', [join(deploy, 'local-node-image.sh')], buildTimeoutMs)
  return localBaseImage
}

/**
 * `docker build` of the shipped Dockerfile from a context of exactly what its dockerignore lets in, as BuildKit
 * sends it (the legacy builder, where buildx is missing, ignores `Dockerfile.dockerignore` and would send the
 * whole checkout).
 */
async function buildImage(dir: string, nodeImage: string): Promise<void> {
  const ignore = (await readFile(join(deploy, 'Dockerfile.dockerignore'), 'utf8')).split('\n')
  const patterns = ignore.filter((line) => line !== '' && !line.startsWith('#'))
  expect(patterns[0], 'the dockerignore excludes everything first, then lets paths back in').toBe('**')
  const allowed = patterns.slice(1).map((line) => {
    expect(line.startsWith('!'), `dockerignore line ${line}`).toBe(true)
    return line.slice(1)
  })
  const contextTar = join(dir, 'context.tar')
  await run('tar', ['-C', repository, '-cf', contextTar, dockerfile, ...allowed])

  const registry = (await run('npm', ['config', 'get', 'registry'])).trim()
  const proxies = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'].filter(
    (name) => (process.env[name] ?? '') !== '',
  )
  const extraCa = await extraCaCertificates()
  // --force-rm: a failed step leaves no stopped container behind.
  const args = ['build', '--force-rm', '--network', 'host', '--file', dockerfile, '--tag', image]
  args.push('--build-arg', `NODE_IMAGE=${nodeImage}`, '--build-arg', `NPM_CONFIG_REGISTRY=${registry}`)
  // A bare `--build-arg NAME` takes its value from the environment: the certificates are too long for argv.
  for (const name of proxies) args.push('--build-arg', name)
  if (extraCa !== '') args.push('--build-arg', 'EXTRA_CA_CERTS')
  args.push('-')

  const context = await open(contextTar)
  try {
    const output: string[] = []
    const code = await new Promise<number | null>((resolve, reject) => {
      const build = spawn('docker', args, {
        cwd: repository,
        env: { ...process.env, EXTRA_CA_CERTS: extraCa },
        stdio: [context.fd, 'pipe', 'pipe'],
      })
      const keep = (chunk: Buffer) => {
        output.push(...chunk.toString('utf8').split('\n'))
        output.splice(0, Math.max(0, output.length - buildOutputLinesMax))
      }
      build.stdout?.on('data', keep)
      build.stderr?.on('data', keep)
      const timer = setTimeout(() => build.kill('SIGKILL'), buildTimeoutMs)
      build.once('error', reject)
      build.once('close', (exitCode) => {
        clearTimeout(timer)
        resolve(exitCode)
      })
    })
    if (code !== 0) throw new Error(`docker build exited with ${code}:\n${output.join('\n')}`)
  } finally {
    await context.close()
  }
}

interface ComposeService {
  hostname: string
  image?: string
  build?: { context: string; dockerfile: string }
  volumes: string[]
  ports: string[]
  environment: Record<string, string>
}

interface ComposeFile {
  services: Record<string, ComposeService>
}

interface StatusWithPeers extends StatusResult {
  readonly peers: number
}

describe.skipIf(skipReason !== undefined)('the validator image, built and run as the compose network', () => {
  const compose = composeCommand ?? []
  const figures: string[] = []
  let dir: string | undefined
  let composeFile: string | undefined
  let danglingBefore = new Set<string>()
  let rpcs: string[] = []

  const composeRun = (...args: string[]) =>
    run(compose[0]!, [...compose.slice(1), '--file', composeFile!, '--project-name', project, ...args])
  /** The project's containers (running or not) or networks, by the label Compose puts on them. */
  const projectObjects = async (kind: 'containers' | 'networks') =>
    (
      await docker(
        ...(kind === 'containers' ? ['ps', '--all'] : ['network', 'ls']),
        '--quiet',
        '--filter',
        `label=com.docker.compose.project=${project}`,
      )
    )
      .split('\n')
      .filter((id) => id !== '')

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-docker-'))
    danglingBefore = await danglingImages()
    let started = performance.now()
    const nodeImage = await baseImage()
    figures.push(`base ${nodeImage} ready in ${((performance.now() - started) / 1000).toFixed(0)} s`)
    started = performance.now()
    await buildImage(dir, nodeImage)
    const sizeBytes = Number(await docker('image', 'inspect', '--format', '{{.Size}}', image))
    figures.push(
      `image built in ${((performance.now() - started) / 1000).toFixed(0)} s, ${(sizeBytes / 1e6).toFixed(0)} MB`,
    )
  })

  afterAll(async () => {
    const failures: string[] = []
    const attempt = async (what: string, action: () => Promise<unknown>) => {
      await action().catch((error: unknown) => failures.push(`${what}: ${String(error)}`))
    }
    if (composeFile !== undefined) {
      await attempt('compose down', () => composeRun('down', '--volumes', '--timeout', '10'))
      // Whatever compose down left (it failed, or stopped half-way): by the project's label.
      const containers = await projectObjects('containers').catch(() => [])
      if (containers.length > 0) await attempt('rm containers', () => docker('rm', '--force', ...containers))
      const networks = await projectObjects('networks').catch(() => [])
      if (networks.length > 0) await attempt('rm networks', () => docker('network', 'rm', ...networks))
    }
    if (dir !== undefined) {
      // The homes belong to the image's user now; give them back (a non-root user could not delete them).
      const owner = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`
      const homes = join(dir, 'homes')
      if (existsSync(homes) && imageExists(image))
        await attempt('chown homes back', () => chownInContainer(homes, owner, ['.']))
      await attempt('rm temporary directory', () => rm(dir!, { recursive: true, force: true }))
    }
    if (imageExists(image)) await attempt('rm image', () => docker('image', 'rm', image))
    // The legacy builder keeps the build stage as untagged images: only the ones this build made.
    const dangling = [...(await danglingImages().catch(() => new Set<string>()))].filter(
      (id) => id !== '' && !danglingBefore.has(id),
    )
    for (const id of dangling) await attempt(`rm build-stage image ${id}`, () => docker('image', 'rm', id))
    if (figures.length > 0) console.warn(`docker-image.test.ts: ${figures.join('; ')}`)
    expect(failures, 'teardown').toEqual([])
  })

  /** chown -R inside a throwaway container of the image, as root: this test need not run as root itself. */
  function chownInContainer(homes: string, owner: string, paths: readonly string[]) {
    return docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      '0:0',
      '--entrypoint',
      'chown',
      '--volume',
      `${homes}:/homes`,
      image,
      '-R',
      owner,
      ...paths.map((path) => `/homes/${path}`),
    )
  }

  it('runs as uid 10001, not root, and declares a HEALTHCHECK that runs `quorate status`', async () => {
    const config = JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config}}', image)) as {
      User: string
      Healthcheck?: { Test: string[] }
      Env: string[]
    }
    expect(config.User.split(':')[0]).toBe(imageUid)
    expect(config.Healthcheck?.Test).toEqual(['CMD', 'node', '/opt/quorate/bin/quorate.js', 'status'])
    expect(config.Env).toContain(`QUORATE_HOME=${containerHome}`)
    const id = (await docker('run', '--rm', '--network', 'none', '--entrypoint', 'id', image, '-u')).trim()
    expect(id).toBe(imageUid)
  })

  it('starts the shipped compose network, and every container turns healthy by the image HEALTHCHECK', async () => {
    const shipped = parse(await readFile(join(deploy, 'compose.yaml'), 'utf8'), {
      merge: true,
    }) as ComposeFile
    const services = Object.entries(shipped.services)
    expect(services.length).toBe(4)
    const homes = join(dir!, 'homes')
    await run(process.execPath, [
      bin,
      'testnet',
      '--hostnames',
      services.map(([, service]) => service.hostname).join(','),
      '--rpc-host',
      '0.0.0.0',
      '--dir',
      homes,
    ])
    await chownInContainer(
      homes,
      `${imageUid}:${imageUid}`,
      services.map(([, service]) => service.hostname),
    )

    // The shipped services as they are, but for this test's image, free loopback ports for the RPC (compose
    // would add to a list given in an override file, not replace it), and no `name:` (docker-compose 1.x
    // rejects it; --project-name says it).
    const base = await freeBasePort(services.length)
    rpcs = services.map((_, i) => `http://127.0.0.1:${rpcPort(base, i)}/`)
    const testFile: ComposeFile = { services: {} }
    for (const [i, [name, service]] of services.entries()) {
      expect(service.volumes).toEqual([`./homes/${service.hostname}:${containerHome}`])
      expect(service.environment.QUORATE_HOME).toBe(containerHome)
      const { build: _build, ...rest } = service
      testFile.services[name] = { ...rest, image, ports: [`127.0.0.1:${rpcPort(base, i)}:26601`] }
    }
    composeFile = join(dir!, 'compose.yaml')
    await writeFile(composeFile, stringify(testFile))

    const started = performance.now()
    await composeRun('up', '--detach', '--no-build')
    const containers = (await composeRun('ps', '--quiet')).split('\n').filter((id) => id !== '')
    expect(containers.length).toBe(services.length)
    const health = async () =>
      (await docker('inspect', '--format', '{{.Name}} {{.State.Health.Status}}', ...containers))
        .trim()
        .split('\n')
    await waitFor(
      'every container to turn healthy',
      async () => (await health()).every((line) => line.endsWith(' healthy')),
      healthyTimeoutMs,
    ).catch(async (error: unknown) => {
      const logs = await Promise.all(
        containers.map((id) => run('docker', ['logs', '--tail', '15', id]).catch(String)),
      )
      throw new Error(`${String(error)}\n${(await health()).join('\n')}\n${logs.join('\n')}`)
    })
    figures.push(
      `all ${containers.length} healthy ${((performance.now() - started) / 1000).toFixed(0)} s after up`,
    )

    // Each dialed the others by service name on the compose network (only the RPC ports are published).
    for (const rpc of rpcs) {
      const answer = await rpcCall<StatusWithPeers>(rpc, 'status', {})
      expect(answer.peers, rpc).toBe(services.length - 1)
    }
  })

  it('commits a transfer submitted with the CLI, and every validator holds the same blocks up to it', async () => {
    expect(rpcs.length, 'the network is up').toBe(4)
    const network = JSON.parse(await readFile(join(dir!, 'homes', 'network.json'), 'utf8')) as {
      accounts: Array<{ address: string; key_file: string }>
    }
    const [sender, recipient] = network.accounts
    const submitted = JSON.parse(
      await run(process.execPath, [
        bin,
        'tx',
        'transfer',
        '--rpc',
        rpcs[0]!,
        '--from',
        sender!.key_file,
        '--to',
        recipient!.address,
        '--amount',
        '25',
        '--wait',
      ]),
    ) as { hash: string; code: number; height: number }
    expect(submitted.code).toBe(0)
    expect(submitted.height).toBeGreaterThanOrEqual(1)
    await waitFor(
      `every validator at height ${submitted.height}`,
      async () => (await Promise.all(rpcs.map(status))).every((answer) => answer.height >= submitted.height),
      60_000,
    )
    const blocks = await checkAgreementUpTo(rpcs, submitted.height)
    expect(blocks.at(-1)!.txs.map((tx) => tx.hash)).toContain(submitted.hash)
  })

  it('compose down stops every validator and removes its containers and network', async () => {
    expect(composeFile, 'the network was started').toBeDefined()
    await composeRun('down', '--volumes', '--timeout', '30')
    expect(await projectObjects('containers')).toEqual([])
    expect(await projectObjects('networks')).toEqual([])
  })
})
