// DIR/testnet.json: what scripts and tests read to find a running testnet. snake_case, absolute paths,
// full RPC URLs, balances as decimal strings.

import { rename, writeFile } from 'node:fs/promises'
import type { TestnetLayout } from './generate.js'
import { testnetInfoFile } from './layout.js'

export interface TestnetValidatorInfo {
  readonly index: number
  readonly name: string
  /** Full URL, http://127.0.0.1:PORT/ */
  readonly rpc: string
  /** Prometheus metrics, served by the RPC server. */
  readonly metrics: string
  readonly p2p: string
  readonly pid: number
  /** Absolute path of the validator's home directory. */
  readonly data_dir: string
  readonly log_file: string
  /** The malicious fixture it runs (`--byzantine`), null when honest: history checks trust only the honest. */
  readonly fixture: string | null
}

export interface TestnetAccountInfo {
  readonly key_file: string
  readonly address: string
  readonly balance: string
}

export interface TestnetInfo {
  readonly chain_id: string
  readonly validators: readonly TestnetValidatorInfo[]
  readonly accounts: readonly TestnetAccountInfo[]
}

export function testnetInfo(
  layout: TestnetLayout,
  pids: ReadonlyMap<number, number>,
  fixtures: ReadonlyMap<number, string> = new Map(),
): TestnetInfo {
  return {
    chain_id: layout.chainId,
    validators: layout.validators.map((validator) => {
      const pid = pids.get(validator.index)
      if (pid === undefined) throw new Error(`validator ${validator.index} has no process`)
      return {
        index: validator.index,
        name: validator.name,
        rpc: validator.rpcUrl,
        metrics: `${validator.rpcUrl}metrics`,
        p2p: `/ip4/127.0.0.1/tcp/${validator.p2pPort}`,
        pid,
        data_dir: validator.home,
        log_file: validator.logFile,
        fixture: fixtures.get(validator.index) ?? null,
      }
    }),
    accounts: layout.accounts.map((account) => ({
      key_file: account.keyFile,
      address: account.address,
      balance: account.balance.toString(),
    })),
  }
}

/** Written beside and renamed over, so a reader never sees half a file. */
export async function writeTestnetInfo(dir: string, info: TestnetInfo): Promise<string> {
  const path = testnetInfoFile(dir)
  const temporaryPath = `${path}.tmp`
  await writeFile(temporaryPath, `${JSON.stringify(info, null, 2)}\n`, 'utf8')
  await rename(temporaryPath, path)
  return path
}
