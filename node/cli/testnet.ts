// `quorate testnet`: a local testnet of validator processes with live progress (see testnet/runner.ts).
// The one place node/ imports testnet/: the CLI hosts the command; the runner lives with the other tools.

import type { Command } from 'commander'
import { asCommitRule, type CommitRule, commitRules } from '../../ledger/commit-rule.js'
import { defaultConsensusParams } from '../../ledger/genesis.js'
import {
  defaultAccountCount,
  defaultBasePort,
  defaultTestnetDir,
  defaultValidatorCount,
  testnetAccountCountMax,
  testnetValidatorCountMax,
} from '../../testnet/layout.js'
import { runTestnet } from '../../testnet/runner.js'
import { CliError } from './errors.js'
import { parseInteger } from './parse.js'

interface TestnetFlags {
  readonly validators: string
  readonly dir: string
  readonly basePort: string
  readonly accounts: string
  readonly reset: boolean
  readonly byzantine: readonly string[]
  readonly commitRule: string
}

export function registerTestnet(program: Command): void {
  program
    .command('testnet')
    .description(
      'write keys and a genesis for a local testnet into --dir (or reuse the testnet already there), start ' +
        'each validator as its own process, write DIR/testnet.json, print every RPC address and a progress ' +
        'line per second; Ctrl-C (or SIGTERM) stops every validator and keeps the data',
    )
    .option(
      '--validators <n>',
      `number of validators, 1..${testnetValidatorCountMax}`,
      String(defaultValidatorCount),
    )
    .option('--dir <dir>', 'data directory', defaultTestnetDir)
    .option(
      '--base-port <port>',
      'validator i listens on base+10i (p2p) and base+10i+1 (JSON-RPC, /metrics)',
      String(defaultBasePort),
    )
    .option(
      '--accounts <k>',
      `funded client accounts (key files in DIR/accounts/), 0..${testnetAccountCountMax}`,
      String(defaultAccountCount),
    )
    .option('--reset', 'delete the testnet in --dir (keys, chain data, logs) and generate a new one', false)
    .option(
      '--commit-rule <rule>',
      `the genesis commit rule of a new testnet: ${commitRules.join(' or ')} (docs/protocol.md, "Commit rules")`,
      defaultConsensusParams.commitRule,
    )
    .option(
      '--byzantine <index=name>',
      'run validator INDEX as the malicious fixture NAME (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .action(async (flags: TestnetFlags, command: Command) => {
      // A flag left at its default means "whatever the testnet in --dir already has" when one exists.
      const given = (name: string): boolean => command.getOptionValueSource(name) !== 'default'
      const validators = parseInteger(flags.validators, '--validators', 1, testnetValidatorCountMax)
      const basePort = parseInteger(flags.basePort, '--base-port', 1024, 65_535)
      const accounts = parseInteger(flags.accounts, '--accounts', 0, testnetAccountCountMax)
      await runTestnet({
        dir: flags.dir,
        reset: flags.reset,
        byzantine: parseByzantine(flags.byzantine),
        ...(given('validators') ? { validators } : {}),
        ...(given('basePort') ? { basePort } : {}),
        ...(given('accounts') ? { accounts } : {}),
        ...(given('commitRule') ? { commitRule: parseCommitRule(flags.commitRule) } : {}),
      })
    })
}

function parseCommitRule(text: string): CommitRule {
  const rule = asCommitRule(text)
  if (rule === undefined)
    throw new CliError(`--commit-rule: expected ${commitRules.join(' or ')}, got "${text}"`)
  return rule
}

function parseByzantine(entries: readonly string[]): Record<number, string> {
  const byzantine: Record<number, string> = {}
  for (const entry of entries) {
    const match = /^(\d+)=([A-Za-z0-9_-]+)$/.exec(entry)
    if (match === null)
      throw new CliError(`--byzantine: expected INDEX=NAME such as 2=equivocating-leader, got "${entry}"`)
    byzantine[Number(match[1])] = match[2]!
  }
  return byzantine
}
