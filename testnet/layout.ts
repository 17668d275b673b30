// Where a local testnet keeps its files, and which ports validator i uses. Everything lives under one
// directory (default .testnet/, git-ignored) so a testnet is removed by removing that directory.

import { join } from 'node:path'

export const testnetChainId = 'quorate-testnet'
export const defaultTestnetDir = '.testnet'
export const defaultValidatorCount = 4
export const defaultAccountCount = 4
export const defaultBasePort = 26600
export const accountBalance = 1_000_000_000n
/** Each validator takes a block of ports: base + 10 i (p2p), base + 10 i + 1 (RPC and metrics). */
export const portsPerValidator = 10
export const testnetValidatorCountMax = 64
export const testnetAccountCountMax = 10_000

export function validatorHome(dir: string, index: number): string {
  return join(dir, `validator-${index}`)
}

export function validatorLogFile(dir: string, index: number): string {
  return join(validatorHome(dir, index), 'node.log')
}

export function accountsDir(dir: string): string {
  return join(dir, 'accounts')
}

export function accountKeyFile(dir: string, index: number): string {
  return join(accountsDir(dir), `account-${index}.json`)
}

export function testnetInfoFile(dir: string): string {
  return join(dir, 'testnet.json')
}

export function p2pPort(basePort: number, index: number): number {
  return basePort + portsPerValidator * index
}

export function rpcPort(basePort: number, index: number): number {
  return basePort + portsPerValidator * index + 1
}

export function validatorName(index: number): string {
  return `validator-${index}`
}
