import { readFileSync } from 'node:fs'
import { type Command, CommanderError } from 'commander'
import { describe, expect, it } from 'vitest'
import { exitCodeOf, exitCodes } from '../../node/cli/errors.js'
import { buildProgram } from '../../node/cli/program.js'

function helpOf(path: string[]): string {
  let command: Command = buildProgram()
  for (const name of path) {
    const next = command.commands.find((candidate) => candidate.name() === name)
    if (next === undefined) throw new Error(`no command ${name}`)
    command = next
  }
  return command.helpInformation()
}

describe('quorate --help', () => {
  it('lists every command', () => {
    const help = helpOf([])
    for (const name of [
      'init',
      'keys',
      'config',
      'start',
      'tx',
      'block',
      'account',
      'validators',
      'status',
      'testnet',
    ]) {
      expect(help).toMatch(new RegExp(`^ {2}${name}\\b`, 'm'))
    }
  })

  it.each([
    [
      ['keys', 'new'],
      ['--out <file>', '--force'],
    ],
    [
      ['tx', 'transfer'],
      ['--rpc <url>', '--from <keyfile>', '--to <address>', '--amount <n>', '--nonce <k>', '--wait'],
    ],
    [
      ['keys', 'show'],
      ['--key <file>', '--home <dir>'],
    ],
    [
      ['tx', 'show'],
      ['<hash>', '--rpc <url>'],
    ],
    [
      ['tx', 'sign'],
      ['--rpc <url>', '--from <keyfile>', '--to <address>', '--amount <n>', '--nonce <k>'],
    ],
    [['block'], ['[height]', '--rpc <url>']],
    [['account'], ['<address>', '--rpc <url>']],
    [['validators'], ['--rpc <url>']],
    [['config', 'validate'], ['--home <dir>']],
    [['status'], ['--rpc <url>']],
    [['start'], ['--home <dir>', '--log-level <level>', '--byzantine <name>']],
    [['init'], ['--home <dir>', '--chain-id <id>', '--fund']],
    [
      ['testnet'],
      [
        '--validators <n>',
        '--dir <dir>',
        '--base-port <port>',
        '--accounts <k>',
        '--commit-rule <rule>',
        '--reset',
        '--hostnames <h0,h1,...>',
        '--rpc-host <host>',
      ],
    ],
    [
      ['genesis', 'add-validator'],
      ['--name <name>', '--consensus-key <hex>', '--node-key <hex>'],
    ],
    [
      ['config', 'add-peer'],
      ['--node-key <hex>', '--address <multiaddr>'],
    ],
  ])('documents the flags of %s', (path, flags) => {
    const help = helpOf(path)
    for (const flag of flags) expect(help).toContain(flag)
  })

  it('shows the testnet defaults', () => {
    const help = helpOf(['testnet'])
    expect(help).toContain('(default: "4")')
    expect(help).toContain('(default: ".testnet")')
    expect(help).toContain('(default: "26600")')
    expect(help).toContain('(default: "two-chain")')
  })

  it('refuses an unknown commit rule before touching any directory', async () => {
    const program = buildProgram()
    program.exitOverride()
    for (const sub of program.commands) sub.exitOverride()
    await expect(
      program.parseAsync(
        ['testnet', '--dir', '/nonexistent/quorate-cli-test', '--commit-rule', 'one-chain'],
        {
          from: 'user',
        },
      ),
    ).rejects.toThrow('--commit-rule: expected two-chain or three-chain, got "one-chain"')
  })

  it('hides the runner-only start flag', () => {
    expect(helpOf(['start'])).not.toContain('--exit-with-stdin')
  })

  it('reports a missing required flag and an unknown command as errors', async () => {
    for (const argv of [['keys', 'new'], ['frobnicate']]) {
      const program = buildProgram()
      const errors: string[] = []
      const override = (command: Command): void => {
        command.exitOverride()
        command.configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => {} })
        for (const sub of command.commands) override(sub)
      }
      override(program)
      await expect(program.parseAsync(argv, { from: 'user' })).rejects.toThrow()
      expect(errors.join('')).toMatch(/error: (required option|unknown command)/)
    }
  })

  it('says of every --rpc and --home that the environment supplies its default', () => {
    const seen = { rpc: 0, home: 0 }
    const visit = (command: Command): void => {
      for (const option of command.options) {
        const help = command.createHelp().optionDescription(option)
        if (option.long === '--rpc') {
          seen.rpc++
          expect(help).toContain('(default: $QUORATE_RPC or http://127.0.0.1:26601/)')
        }
        if (option.long === '--home') {
          seen.home++
          expect(help).toContain('(default: $QUORATE_HOME; required when it is unset)')
        }
      }
      for (const sub of command.commands) visit(sub)
    }
    visit(buildProgram())
    // tx show, transfer, sign; block, account, validators, status / init, keys show, config validate and
    // add-peer, genesis add-validator and add-account, start.
    expect(seen).toEqual({ rpc: 7, home: 7 })
  })

  it('ends the top-level help with the environment variables and the exit codes', () => {
    const program = buildProgram()
    let out = ''
    program.configureOutput({ writeOut: (text) => (out += text) })
    program.outputHelp()
    const epilog = out.slice(out.indexOf('Environment:'))
    for (const name of ['QUORATE_HOME', 'QUORATE_RPC', 'QUORATE_RPC_TOKEN']) expect(epilog).toContain(name)
    expect(epilog).toMatch(/^ {2}0 {2}success/m)
    expect(epilog).toMatch(/^ {2}1 {2}any other failure: .*\n.*JSON-RPC error/m)
    expect(epilog).toMatch(/^ {2}2 {2}a bad argument or input file/m)
    expect(epilog).toMatch(/^ {2}3 {2}the node is unreachable/m)
    expect(epilog).toMatch(/^ {2}4 {2}tx transfer: the node rejected the transaction/m)
  })

  it('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    const program = buildProgram()
    let out = ''
    program.configureOutput({ writeOut: (text) => (out += text) })
    const error = await program.parseAsync(['--version'], { from: 'user' }).catch((caught: unknown) => caught)
    expect(out).toBe(`${version}\n`)
    expect(exitCodeOf(error)).toBe(exitCodes.ok)
  })

  it.each([
    ['an unknown flag', exitCodes.badInput, ['status', '--frobnicate']],
    ['an unknown command', exitCodes.badInput, ['frobnicate']],
    ['a missing required flag', exitCodes.badInput, ['keys', 'new']],
    ['a missing argument', exitCodes.badInput, ['account']],
    ['an unknown log level', exitCodes.badInput, ['start', '--home', '/nonexistent', '--log-level', 'loud']],
    ['--help', exitCodes.ok, ['tx', '--help']],
  ])('commander reports %s with exit code %i', async (_name, code, argv) => {
    const program = buildProgram()
    const silence = (command: Command): void => {
      command.configureOutput({ writeErr: () => {}, writeOut: () => {} })
      for (const sub of command.commands) silence(sub)
    }
    silence(program)
    const error = await program.parseAsync(argv, { from: 'user' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CommanderError)
    expect(exitCodeOf(error)).toBe(code)
  })
})
