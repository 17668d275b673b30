// Twins (the Twins method, Bano et al.): a second process running validator i's keys with its own disk and
// ports, each honest on its own, so the others see one validator sign two histories. The twin dials every
// other validator; they do not list it, so it reaches them only through connections it opens.

import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { formatConfig, homePaths, loadConfigFile } from '../../node/config.js'
import type { ValidatorProcess } from '../processes.js'
import type { RunningTestnet } from '../runner.js'

/** Ports of validator i's block (base + 10i + offset) that the twin takes. */
const twinP2pOffset = 5
const twinRpcOffset = 6
/** Process indexes of twins, apart from the validators'. */
export const twinProcessIndexBase = 1_000

export function twinHome(dir: string, index: number): string {
  return join(dir, `validator-${index}-twin`)
}

export interface Twin {
  readonly index: number
  readonly rpcUrl: string
  readonly process: ValidatorProcess
}

export async function startTwin(testnet: RunningTestnet, index: number): Promise<Twin> {
  const validator = testnet.layout.validators[index]
  if (validator === undefined) throw new Error(`no validator ${index} to twin`)
  const original = homePaths(validator.home)
  const home = homePaths(twinHome(testnet.layout.dir, index))
  await rm(home.home, { recursive: true, force: true })
  await mkdir(home.home, { recursive: true })
  for (const file of ['genesis', 'nodeKey', 'consensusKey'] as const)
    await copyFile(original[file], home[file])
  const config = await loadConfigFile(original.config)
  const p2pPort = testnet.layout.basePort + 10 * index + twinP2pOffset
  const rpcPort = testnet.layout.basePort + 10 * index + twinRpcOffset
  await writeFile(
    home.config,
    formatConfig({
      ...config,
      moniker: `${validator.name}-twin`,
      p2pListen: `/ip4/127.0.0.1/tcp/${p2pPort}`,
      rpcListen: { host: '127.0.0.1', port: rpcPort },
    }),
  )
  const process = await testnet.processes.spawn({
    index: twinProcessIndexBase + index,
    cliPath: testnet.cliPath,
    home: home.home,
    logFile: join(home.home, 'node.log'),
  })
  return { index, rpcUrl: `http://127.0.0.1:${rpcPort}/`, process }
}
