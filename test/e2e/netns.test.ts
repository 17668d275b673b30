// Validators on separate hosts, as far as one machine allows: each validator in a Linux network namespace of
// its own, with its own address on a bridge, reaching the others by hostname (each namespace's /etc/hosts,
// which `ip netns exec` mounts from /etc/netns/NAME/hosts), with link latency and loss from `tc netem` where
// the kernel has it, and random packet loss from iptables' statistic match where it has not. The homes come from `writeHostHomes` (what `quorate testnet --hostnames` writes): RPC on
// 0.0.0.0, p2p dialed by name, testnet mode off. A client in a namespace of its own sends transfers through
// different validators; every validator must commit them and agree on the head. The namespaces, links and
// hosts files are created here and removed afterwards; without root (or `ip`) the test skips, saying why.

import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../node/config.js'
import { writeHostHomes } from '../../testnet/hosts.js'

const run = promisify(execFile)
const cli = fileURLToPath(new URL('../../dist/node/cli/main.js', import.meta.url))
const validatorCount = 4
const tag = `qn${process.pid % 100_000}`
const subnet = `10.199.${20 + (process.pid % 200)}`
const hub = `${tag}-hub`
const namespaces = Array.from({ length: validatorCount }, (_, i) => `${tag}-v${i}`)
const hostname = (i: number) => `validator-${i}.quorate.test`
const address = (i: number) => `${subnet}.${i + 1}`

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces'
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'needs iproute2 (`ip`)'
  const probe = `${tag}-probe`
  const created = spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' }).status === 0
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' })
  return created ? undefined : 'cannot create a network namespace here'
}

const skipReason = whyNot()
if (skipReason !== undefined) console.warn(`netns.test.ts: skipped, ${skipReason}`)

async function ip(...args: string[]): Promise<void> {
  await run('ip', args)
}

/** Runs the built CLI inside the client namespace; its JSON answer. */
async function client(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('ip', ['netns', 'exec', hub, process.execPath, cli, ...args], {
    timeout: 60_000,
  })
  return JSON.parse(stdout) as Record<string, unknown>
}

const lossPercent = 2

/** iptables arguments that add the random-loss rule on a validator's link. */
function lossRule(): string[] {
  const probability = String(lossPercent / 100)
  return [
    'iptables',
    '-A',
    'OUTPUT',
    '-o',
    'eth0',
    '-m',
    'statistic',
    '--mode',
    'random',
    '--probability',
    probability,
    '-j',
    'DROP',
  ]
}

/** Packets the loss rule in namespace `name` dropped so far. */
async function droppedPackets(name: string): Promise<number> {
  const { stdout } = await run('ip', ['netns', 'exec', name, 'iptables', '-L', 'OUTPUT', '-v', '-n', '-x'])
  const rule = stdout.split('\n').find((line) => line.includes('statistic mode random'))
  return rule === undefined ? 0 : Number(rule.trim().split(/\s+/)[0])
}

describe.skipIf(skipReason !== undefined)('validators in separate network namespaces', () => {
  const validators: ChildProcess[] = []
  let dir: string | undefined

  afterAll(async () => {
    for (const child of validators) child.stdin?.end() // --exit-with-stdin: a clean shutdown
    await Promise.all(
      validators.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve()
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
            child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
          }),
      ),
    )
    for (const name of [hub, ...namespaces]) {
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' })
      await rm(`/etc/netns/${name}`, { recursive: true, force: true })
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('commits transfers sent through different validators, and every validator agrees on the head', async () => {
    // The wires: a bridge in the client's namespace, a veth pair from it to each validator's namespace.
    const hosts = [
      '127.0.0.1 localhost',
      `${subnet}.100 client.quorate.test`,
      ...namespaces.map((_, i) => `${address(i)} ${hostname(i)}`),
    ].join('\n')
    await ip('netns', 'add', hub)
    await ip('-n', hub, 'link', 'set', 'lo', 'up')
    await ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge')
    await ip('-n', hub, 'addr', 'add', `${subnet}.100/24`, 'dev', 'br0')
    await ip('-n', hub, 'link', 'set', 'br0', 'up')
    let netem = true
    let iptablesLoss = true
    for (const [i, name] of namespaces.entries()) {
      await ip('netns', 'add', name)
      await ip('-n', name, 'link', 'set', 'lo', 'up')
      await ip('-n', hub, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name)
      await ip('-n', hub, 'link', 'set', `v${i}`, 'master', 'br0')
      await ip('-n', hub, 'link', 'set', `v${i}`, 'up')
      await ip('-n', name, 'addr', 'add', `${address(i)}/24`, 'dev', 'eth0')
      await ip('-n', name, 'link', 'set', 'eth0', 'up')
      const shaped = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          name,
          'tc',
          'qdisc',
          'add',
          'dev',
          'eth0',
          'root',
          'netem',
          'delay',
          '10ms',
          '5ms',
          'loss',
          '1%',
        ],
        { encoding: 'utf8' },
      )
      if (shaped.status !== 0) {
        netem = false
        // The kernel's own packet loss without netem: the iptables statistic match drops random packets.
        const lossy = spawnSync('ip', ['netns', 'exec', name, ...lossRule()], { encoding: 'utf8' })
        if (lossy.status !== 0) iptablesLoss = false
      }
    }
    for (const name of [hub, ...namespaces]) {
      await mkdir(`/etc/netns/${name}`, { recursive: true })
      await writeFile(`/etc/netns/${name}/hosts`, `${hosts}\n`)
    }
    if (!netem && !iptablesLoss) {
      console.warn(
        'netns.test.ts: neither tc netem nor iptables here; links run without added latency and loss',
      )
    } else if (!netem)
      console.warn(
        'netns.test.ts: tc netem is not available in this kernel (CONFIG_NET_SCH_NETEM); each validator loses ' +
          `${lossPercent}% of its outgoing packets by iptables' statistic match instead, with no added latency`,
      )

    dir = await mkdtemp(join(tmpdir(), 'quorate-netns-'))
    const network = await writeHostHomes({
      dir,
      hostnames: namespaces.map((_, i) => hostname(i)),
      chainId: 'quorate-netns',
      accounts: 2,
      rpcHost: '0.0.0.0',
    })
    expect(network.validators[0]!.p2pAddress).toBe(`/dns/${hostname(0)}/tcp/26600`)
    // Listening on every interface, each home names the address the others dial.
    expect((await loadConfigFile(join(network.validators[0]!.home, 'config.json'))).p2pAnnounce).toBe(
      network.validators[0]!.p2pAddress,
    )
    const logs: string[][] = []
    for (const [i, name] of namespaces.entries()) {
      const home = network.validators[i]!.home
      const child = spawn(
        'ip',
        ['netns', 'exec', name, process.execPath, cli, 'start', '--home', home, '--exit-with-stdin'],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      )
      const log: string[] = []
      child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()))
      child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()))
      logs.push(log)
      validators.push(child)
    }
    const rpc = (i: number) => `http://${hostname(i)}:26601/`
    const head = async (i: number) => {
      const status = await client('status', '--rpc', rpc(i))
      return { height: status.height, hash: status.block_hash, root: status.state_root, peers: status.peers }
    }
    const deadline = Date.now() + 60_000
    for (let i = 0; i < validatorCount; i++) {
      for (;;) {
        const answer = await head(i).catch(() => undefined)
        if (answer !== undefined && answer.peers === validatorCount - 1) break
        if (Date.now() > deadline)
          throw new Error(`validator ${i} not connected to every peer; log:\n${logs[i]!.join('')}`)
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }

    const to = network.accounts[1]!.address
    const heights: number[] = []
    for (let n = 0; n < 6; n++) {
      const answer = await client(
        'tx',
        'transfer',
        '--rpc',
        rpc(n % validatorCount),
        '--from',
        network.accounts[0]!.keyFile,
        '--to',
        to,
        '--amount',
        '3',
        '--wait',
      )
      expect(answer.code, JSON.stringify(answer)).toBe(0)
      heights.push(answer.height as number)
    }
    expect(heights).toEqual([...heights].sort((a, b) => a - b))

    // The chain goes quiet after the last transfer: every validator's head converges to the same block.
    let heads: Awaited<ReturnType<typeof head>>[] = []
    const agreeBy = Date.now() + 30_000
    do {
      heads = await Promise.all(namespaces.map((_, i) => head(i)))
      if (heads.every((h) => h.hash === heads[0]!.hash && h.root === heads[0]!.root)) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    } while (Date.now() < agreeBy)
    expect(new Set(heads.map((h) => `${h.height} ${h.hash} ${h.root}`)).size).toBe(1)
    expect(heads[0]!.height as number).toBeGreaterThanOrEqual(heights.at(-1)!)
    const balance = await client('account', to, '--rpc', rpc(3))
    expect(BigInt(balance.balance as string)).toBe(1_000_000_000n + 18n)
    if (!netem && iptablesLoss) {
      // The loss was real: the rules dropped packets (at 2% of hundreds of packets, none at all is ~1e-4).
      const dropped = await Promise.all(namespaces.map(droppedPackets))
      expect(dropped.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0)
    }
  }, 240_000)
})
