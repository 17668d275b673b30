// `quorate testnet`: a local testnet of validator processes with live progress (see testnet/runner.ts).
// The one place node/ imports testnet/: the CLI hosts the command; the runner lives with the other tools.

import { isIP } from 'node:net'
import type { Command } from 'commander'
import { asCommitRule, type CommitRule, commitRules } from '../../ledger/commit-rule.js'
import { defaultConsensusParams } from '../../ledger/genesis.js'
import {
  defaultHostP2pPort,
  defaultHostRpcPort,
  hostsOf,
  networkJson,
  writeHostHomes,
} from '../../testnet/hosts.js'
import {
  defaultAccountCount,
  defaultBasePort,
  defaultTestnetDir,
  defaultValidatorCount,
  testnetAccountCountMax,
  testnetChainId,
  testnetValidatorCountMax,
} from '../../testnet/layout.js'
import { runTestnet } from '../../testnet/runner.js'
import { CliError } from './errors.js'
import { printJson } from './output.js'
import { parseInteger } from './parse.js'
import { registerTestnetCtl } from './testnet-ctl.js'

interface TestnetFlags {
  readonly validators: string
  readonly dir: string
  readonly basePort: string
  readonly accounts: string
  readonly reset: boolean
  readonly byzantine: readonly string[]
  readonly commitRule: string
  readonly hostnames?: string
  readonly rpcHost: string
  readonly p2pPort: string
  readonly rpcPort: string
  readonly consolePort?: string
}

export function registerTestnet(program: Command): void {
  const testnet = program
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
      '--hostnames <h0,h1,...>',
      'instead: write one home per host (DIR/validator-i for the i-th name, a DNS name or an IP address, ' +
        'p2p on all interfaces, peers dialed by name, testnet mode off) and DIR/network.json; start nothing ' +
        '(docs/deployment.md)',
    )
    .option('--rpc-host <host>', 'with --hostnames: the address the RPC listens on at each host', '127.0.0.1')
    .option('--p2p-port <port>', 'with --hostnames: the p2p port at each host', String(defaultHostP2pPort))
    .option(
      '--rpc-port <port>',
      'with --hostnames: the JSON-RPC port at each host',
      String(defaultHostRpcPort),
    )
    .option(
      '--byzantine <index=name>',
      'run validator INDEX as the malicious fixture NAME (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      '--console-port <port>',
      'the fault lab console and API on 127.0.0.1 (default: base port + 9; 0: any free port)',
    )
    .action(async (flags: TestnetFlags, command: Command) => {
      // A flag left at its default means "whatever the testnet in --dir already has" when one exists.
      const given = (name: string): boolean => command.getOptionValueSource(name) !== 'default'
      const validators = parseInteger(flags.validators, '--validators', 1, testnetValidatorCountMax)
      const basePort = parseInteger(flags.basePort, '--base-port', 1024, 65_535)
      const accounts = parseInteger(flags.accounts, '--accounts', 0, testnetAccountCountMax)
      if (flags.hostnames !== undefined) {
        const network = await writeHostHomes({
          dir: flags.dir,
          hostnames: hostsOf(flags.hostnames),
          chainId: testnetChainId,
          accounts,
          p2pPort: parseInteger(flags.p2pPort, '--p2p-port', 1, 65_535),
          rpcPort: parseInteger(flags.rpcPort, '--rpc-port', 1, 65_535),
          rpcHost: listenHost(flags.rpcHost),
          params: { ...defaultConsensusParams, commitRule: parseCommitRule(flags.commitRule) },
        })
        printJson(networkJson(network))
        return
      }
      await runTestnet({
        dir: flags.dir,
        reset: flags.reset,
        byzantine: parseByzantine(flags.byzantine),
        ...(given('validators') ? { validators } : {}),
        ...(given('basePort') ? { basePort } : {}),
        ...(given('accounts') ? { accounts } : {}),
        ...(given('commitRule') ? { commitRule: parseCommitRule(flags.commitRule) } : {}),
        ...(flags.consolePort === undefined
          ? {}
          : { consolePort: parseInteger(flags.consolePort, '--console-port', 0, 65_535) }),
      })
    })
  registerTestnetCtl(testnet)
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

/** --rpc-host: an IP address to listen on (0.0.0.0 or :: for every interface). */
function listenHost(text: string): string {
  if (isIP(text) === 0)
    throw new CliError(`--rpc-host: expected an IP address such as 127.0.0.1 or 0.0.0.0, got "${text}"`)
  return text
}
