// The deadline signal behind every timeout the host sets (dials, stream opens, stalled sends).

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { deadline } from '../../p2p/deadline.js'
import { TimeoutError } from '../../p2p/errors.js'
import { sleep, waitFor } from './helpers.js'

describe('deadline', () => {
  it('aborts with a TimeoutError once its time has passed', async () => {
    const parent = new AbortController()
    const { signal } = deadline(parent.signal, 20, 'the test operation')
    expect(signal.aborted).toBe(false)
    await waitFor(() => signal.aborted, 'the deadline passed')
    expect(signal.reason).toBeInstanceOf(TimeoutError)
    expect((signal.reason as Error).message).toBe('the test operation: 20 ms passed')
  })

  it("aborts with the parent's reason when the parent aborts first, or at once if it has already", () => {
    const parent = new AbortController()
    const { signal, clear } = deadline(parent.signal, 60_000, 'test')
    const reason = new Error('closing')
    parent.abort(reason)
    expect(signal.reason).toBe(reason)
    clear()
    expect(deadline(parent.signal, 60_000, 'test').signal.reason).toBe(reason)
  })

  it('once cleared, neither the timer nor the parent aborts it', async () => {
    const parent = new AbortController()
    const { signal, clear } = deadline(parent.signal, 10, 'test')
    clear()
    await sleep(50)
    parent.abort(new Error('closing'))
    expect(signal.aborted).toBe(false)
  })

  it('still fires after the garbage collector ran (AbortSignal.any over AbortSignal.timeout does not on Node 20)', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/deadline-after-gc.ts', import.meta.url))
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect({ exitCode, output }).toMatchObject({ exitCode: 0 })
    expect(JSON.parse(output)).toEqual({ aborted: true, reasonName: 'TimeoutError' })
  })
})
