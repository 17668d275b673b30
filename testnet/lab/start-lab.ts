// A fault lab and its control server for a running testnet: DIR/lab.sock for `ctl`, the console on 127.0.0.1.

import { join } from 'node:path'
import type { RunningTestnet } from '../runner.js'
import { consoleScenarioRunner } from './console-scenario.js'
import { ControlServer } from './control-server.js'
import { FaultLab } from './fault-lab.js'
import { scenarioNames } from './scenario-file.js'

export interface RunningLab {
  readonly lab: FaultLab
  readonly server: ControlServer
}

export function labSocketPath(dir: string): string {
  return join(dir, 'lab.sock')
}

export async function startLab(testnet: RunningTestnet, consolePort: number): Promise<RunningLab> {
  const lab = new FaultLab({ testnet, scenarioNames: await scenarioNames() })
  const server = await ControlServer.listen({
    lab,
    socketPath: labSocketPath(testnet.layout.dir),
    consolePort,
    runScenario: consoleScenarioRunner(lab, testnet),
  })
  return { lab, server }
}
