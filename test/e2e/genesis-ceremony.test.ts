// The genesis ceremony of docs/deployment.md, command by command, as operators on four hosts would run it
// (the built CLI as separate processes; all on 127.0.0.1 here): every validator makes its own keys with
// `init`, shows them with `keys show`, the coordinator adds the others and an account to its genesis, every
// home gets that genesis and the others as peers, `config validate` passes, and the four validators started
// from those homes commit a transfer. Plus the refusals: a duplicate validator, a genesis change in a home
// that already ran, a bad peer address.

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { generateKeyPair, toHex, writeKeyFile } from '../../crypto/index.js'
import { freeBasePort } from '../support/free-ports.js'

const cli = fileURLToPath(new URL('../../dist/node/cli/main.js', import.meta.url))

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

function quorate(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

async function ok(...args: string[]): Promise<Record<string, unknown>> {
  const run = await quorate(...args)
  expect(run.code, `quorate ${args.join(' ')}: ${run.stderr}`).toBe(0)
  return JSON.parse(run.stdout) as Record<string, unknown>
}

describe('a genesis ceremony with the CLI, then the network it made', () => {
  const validators: ChildProcess[] = []
  let dir: string | undefined

  afterAll(async () => {
    for (const child of validators) child.kill('SIGTERM')
    await Promise.all(
      validators.map(
        (child) =>
          new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
      ),
    )
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('makes a working 4-validator network from keys each host made itself', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-ceremony-'))
    const base = await freeBasePort(4)
    const homes = [0, 1, 2, 3].map((i) => join(dir!, `host-${i}`))
    const p2p = (i: number) => base + 10 * i
    const rpc = (i: number) => `http://127.0.0.1:${base + 10 * i + 1}/`
    for (const [i, home] of homes.entries()) {
      await ok(
        'init',
        '--home',
        home,
        '--chain-id',
        'ceremony',
        '--moniker',
        `val-${i}`,
        '--p2p-listen',
        `/ip4/127.0.0.1/tcp/${p2p(i)}`,
        // What the others dial: `keys show` hands it out as the peer entry.
        '--p2p-announce',
        `/dns4/localhost/tcp/${p2p(i)}`,
        '--rpc-listen',
        `127.0.0.1:${p2p(i) + 1}`,
      )
    }
    const keys = await Promise.all(homes.map((home) => ok('keys', 'show', '--home', home)))
    const peerOf = (shown: Record<string, unknown>) => shown.peer as { node_key: string; address: string }
    expect(peerOf(keys[2]!)).toEqual({
      node_key: keys[2]!.node_key,
      address: `/dns4/localhost/tcp/${p2p(2)}`,
    })
    const coordinator = homes[0]!
    for (const i of [1, 2, 3]) {
      await ok(
        'genesis',
        'add-validator',
        '--home',
        coordinator,
        '--name',
        `val-${i}`,
        '--consensus-key',
        keys[i]!.consensus_key as string,
        '--node-key',
        keys[i]!.node_key as string,
      )
    }
    const duplicate = await quorate(
      'genesis',
      'add-validator',
      '--home',
      coordinator,
      '--name',
      'val-9',
      '--consensus-key',
      keys[1]!.consensus_key as string,
      '--node-key',
      keys[1]!.node_key as string,
    )
    expect(duplicate.code).toBe(2)
    const account = generateKeyPair()
    const accountFile = join(dir, 'account.json')
    await writeKeyFile(accountFile, account)
    const summary = await ok(
      'genesis',
      'add-account',
      '--home',
      coordinator,
      '--address',
      toHex(account.publicKey),
      '--balance',
      '1000',
    )
    expect(summary).toMatchObject({
      chain_id: 'ceremony',
      validators: ['val-0', 'val-1', 'val-2', 'val-3'],
      accounts: 1,
    })

    for (const [i, home] of homes.entries()) {
      if (i !== 0) await copyFile(join(coordinator, 'genesis.json'), join(home, 'genesis.json'))
      for (const j of [0, 1, 2, 3].filter((other) => other !== i)) {
        await ok(
          'config',
          'add-peer',
          '--home',
          home,
          '--node-key',
          peerOf(keys[j]!).node_key,
          '--address',
          peerOf(keys[j]!).address,
        )
      }
      expect((await ok('config', 'validate', '--home', home)).ok).toBe(true)
    }
    expect(
      (
        await quorate(
          'config',
          'add-peer',
          '--home',
          homes[0]!,
          '--node-key',
          toHex(generateKeyPair().publicKey),
          '--address',
          '127.0.0.1:1',
        )
      ).code,
    ).toBe(2)

    for (const home of homes) {
      const child = spawn(process.execPath, [cli, 'start', '--home', home, '--exit-with-stdin'], {
        stdio: ['pipe', 'ignore', 'ignore'],
      })
      validators.push(child)
    }
    await expect
      .poll(async () => (await quorate('status', '--rpc', rpc(3))).code, { timeout: 30_000, interval: 500 })
      .toBe(0)
    const sent = await ok(
      'tx',
      'transfer',
      '--rpc',
      rpc(2),
      '--from',
      accountFile,
      '--to',
      keys[0]!.consensus_key as string,
      '--amount',
      '7',
      '--wait',
    )
    expect(sent.code).toBe(0)
    for (const i of [0, 1, 2, 3]) {
      await expect
        .poll(async () => (await ok('status', '--rpc', rpc(i))).height as number, { timeout: 20_000 })
        .toBeGreaterThanOrEqual(sent.height as number)
    }

    // Once a home has run a chain its genesis is fixed: the ceremony's commands refuse to change it.
    await writeFile(join(homes[1]!, 'README'), 'ran')
    const late = await quorate(
      'genesis',
      'add-account',
      '--home',
      homes[1]!,
      '--address',
      toHex(generateKeyPair().publicKey),
      '--balance',
      '1',
    )
    expect(late.code).toBe(2)
    expect(late.stderr).toContain('already ran a chain')
  }, 180_000)
})
