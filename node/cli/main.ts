import '../polyfills.js'
import { CommanderError } from 'commander'
import { exitCodeOf, userFacingMessage } from './errors.js'
import { buildProgram } from './program.js'

try {
  await buildProgram().parseAsync(process.argv)
} catch (error) {
  // Commander has written its own message (or the help, or the version) already.
  if (!(error instanceof CommanderError)) {
    const message = userFacingMessage(error)
    console.error(message === undefined ? error : `error: ${message}`)
  }
  process.exitCode = exitCodeOf(error)
}
