// `quorate config validate [--home DIR]`: reads a validator home the way `quorate start` does (config.json,
// genesis.json, both key files, and whether the keys are a validator of that genesis) without opening any
// store or port, and reports every problem found, each naming its file and field. config.json is checked one
// field at a time, so every bad field is reported, not only the first; genesis.json and the key files stop at
// their first problem.

import { basename } from 'node:path'
import type { Command } from 'commander'
import { toHex } from '../../crypto/hex.js'
import { KeyFileError, readKeyFile } from '../../crypto/keyfile.js'
import { readJsonFile } from '../../ledger/field-error.js'
import { type Genesis, GenesisError, loadGenesisFile } from '../../ledger/genesis.js'
import {
  ConfigError,
  configFileBytesMax,
  type HomePaths,
  homePaths,
  type NodeConfig,
  parseConfig,
} from '../config.js'
import { homeFrom, homeOption } from './env.js'
import { CliError } from './errors.js'
import { printJsonLine } from './output.js'

export interface HomeProblem {
  /** The file's name in the home, e.g. `config.json`. */
  readonly file: string
  /** The field the problem is about, e.g. `peers[1].node_key`; empty for the whole file. */
  readonly field: string
  /** One line, leading with the field. */
  readonly message: string
}

export type HomeValidation =
  | {
      readonly ok: true
      readonly home: string
      readonly chain_id: string
      readonly moniker: string
      readonly validator_index: number
      readonly validators: number
    }
  | { readonly ok: false; readonly home: string; readonly problems: readonly HomeProblem[] }

export async function validateHome(home: string): Promise<HomeValidation> {
  const paths = homePaths(home)
  const problems: HomeProblem[] = []
  const note = (path: string, field: string, message: string): void => {
    problems.push({ file: basename(path), field, message })
  }
  const config = await checkConfig(paths.config, note)
  const genesis = await checked(() => loadGenesisFile(paths.genesis), paths.genesis, note)
  const consensusKey = await checked(() => readKeyFile(paths.consensusKey), paths.consensusKey, note)
  const nodeKey = await checked(() => readKeyFile(paths.nodeKey), paths.nodeKey, note)
  const self =
    genesis === undefined || consensusKey === undefined
      ? undefined
      : checkMembership(paths, genesis, consensusKey.publicKey, nodeKey?.publicKey, note)
  if (problems.length > 0 || config === undefined || genesis === undefined || self === undefined) {
    return { ok: false, home: paths.home, problems }
  }
  return {
    ok: true,
    home: paths.home,
    chain_id: genesis.chainId,
    moniker: config.moniker,
    validator_index: self,
    validators: genesis.validators.length,
  }
}

type Note = (path: string, field: string, message: string) => void

/** Each field of config.json on its own (every field has a default), so that every bad one is reported. */
async function checkConfig(path: string, note: Note): Promise<NodeConfig | undefined> {
  const fail = (problem: string, options?: ErrorOptions) => new ConfigError('', problem, options)
  // undefined when unreadable (JSON itself has no undefined).
  const json = await checked(() => readJsonFile(path, 'config file', configFileBytesMax, fail), path, note)
  if (json === undefined) return undefined
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return checked(async () => parseConfig(json), path, note)
  }
  let valid = true
  for (const [field, value] of Object.entries(json)) {
    const parsed = await checked(async () => parseConfig({ [field]: value }), path, note)
    if (parsed === undefined) valid = false
  }
  return valid ? parseConfig(json) : undefined
}

/** What `quorate start` checks: the consensus key is a validator of genesis, with this node key. */
function checkMembership(
  paths: HomePaths,
  genesis: Genesis,
  consensusKey: Uint8Array,
  nodeKey: Uint8Array | undefined,
  note: Note,
): number | undefined {
  const self = genesis.validators.find((validator) => toHex(validator.consensusKey) === toHex(consensusKey))
  if (self === undefined) {
    note(
      paths.genesis,
      'validators',
      `validators: none has the consensus key of ${basename(paths.consensusKey)} (${toHex(consensusKey)})`,
    )
    return undefined
  }
  if (nodeKey !== undefined && toHex(self.nodeKey) !== toHex(nodeKey)) {
    const field = `validators[${self.index}].node_key`
    note(
      paths.genesis,
      field,
      `${field}: is ${toHex(self.nodeKey)}, but ${basename(paths.nodeKey)} holds ${toHex(nodeKey)}`,
    )
    return undefined
  }
  return self.index
}

/** Runs `load`, noting a bad-file error as a problem of `path`; any other error is a bug and is thrown. */
async function checked<T>(load: () => Promise<T>, path: string, note: Note): Promise<T | undefined> {
  try {
    return await load()
  } catch (error) {
    if (error instanceof ConfigError || error instanceof GenesisError) note(path, error.field, error.message)
    else if (error instanceof KeyFileError) note(path, '', error.message)
    else throw error
    return undefined
  }
}

/** `quorate config …`; returns the group, which other files add commands to. */
export function registerConfig(program: Command): Command {
  const config = program.command('config').description("check and edit a validator home's config")
  config
    .command('validate')
    .description(
      'read config.json, genesis.json and the key files of a home as `quorate start` would (opening no store ' +
        'or port); prints {"ok": true, ...} on one line when they are valid, or {"ok": false, "problems": ' +
        '[...]} with one line per problem on stderr, each naming its file and field, and exits with 2',
    )
    .addOption(homeOption('the validator home'))
    .action(async (options: { home?: string }) => {
      const result = await validateHome(homeFrom(options.home))
      printJsonLine(result)
      if (!result.ok) {
        for (const problem of result.problems) console.error(`error: ${problem.file}: ${problem.message}`)
        throw new CliError(
          `${result.home} is not a valid validator home (${result.problems.length} problem` +
            `${result.problems.length === 1 ? '' : 's'})`,
        )
      }
    })
  return config
}
