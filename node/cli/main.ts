import '../polyfills.js'
import { userFacingMessage } from './errors.js'
import { buildProgram } from './program.js'

try {
  await buildProgram().parseAsync(process.argv)
} catch (error) {
  const message = userFacingMessage(error)
  console.error(message === undefined ? error : `error: ${message}`)
  process.exitCode = 1
}
