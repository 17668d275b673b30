import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
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
    for (const name of ['init', 'keys', 'start', 'tx', 'status', 'testnet']) expect(help).toContain(name)
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
    [['status'], ['--rpc <url>']],
    [['start'], ['--home <dir>', '--byzantine <name>']],
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
      ],
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
})
