// The `quorate` command line: one commander program, one file per command.

import { Command } from 'commander'
import { registerInit } from './init.js'
import { registerKeys } from './keys.js'
import { registerStart } from './start.js'
import { registerStatus } from './status.js'
import { registerTestnet } from './testnet.js'
import { registerTx } from './tx.js'

export function buildProgram(): Command {
  const program = new Command('quorate')
    .description('Quorate: a Byzantine-fault-tolerant consensus node (chained HotStuff over libp2p)')
    .showHelpAfterError()
  registerInit(program)
  registerKeys(program)
  registerStart(program)
  registerTx(program)
  registerStatus(program)
  registerTestnet(program)
  return program
}
