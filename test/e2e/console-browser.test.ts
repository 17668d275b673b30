// The fault lab's web console in a real browser: the runner started as a user starts it (its own OS process,
// the console URL read from its output), headless Chromium driven by playwright-core, and the page used only
// through what a person sees and clicks: its modules load without an error, a validator paused with its button
// is marked down, and once resumed its height catches up. Skips itself where no Chromium is installed.

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestnetInfo } from '../../testnet/info.js'
import { testnetInfoFile } from '../../testnet/layout.js'
import { findBusyPort } from '../../testnet/ports.js'
import { freeBasePort } from '../support/free-ports.js'
import { TransferLoad } from '../support/load.js'
import { isAlive } from '../support/processes.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const cliMain = join(repoRoot, 'dist', 'node', 'cli', 'main.js')
/** The browser: $QUORATE_CHROMIUM when set, else the Debian package's binary. */
const chromiumCandidate = process.env.QUORATE_CHROMIUM || '/usr/bin/chromium'
const chromiumPath = existsSync(chromiumCandidate) ? chromiumCandidate : undefined
if (chromiumPath === undefined) {
  console.warn(
    `console-browser.test.ts skipped: no Chromium at ${chromiumCandidate}; install the Debian package ` +
      '`chromium` (apt-get install chromium), or set QUORATE_CHROMIUM to a Chromium binary',
  )
}

const validatorCount = 4
const pausedIndex = 2
const consoleUrlTimeoutMs = 45_000
const runnerStopGraceMs = 10_000
const uiWaitMs = 20_000
/** How far the others must get past the paused validator before it is resumed. */
const leadBlocksMin = 3

describe.skipIf(chromiumPath === undefined)('the fault lab web console, in headless Chromium', () => {
  let dir: string
  let runner: ChildProcess | undefined
  let runnerOutput = ''
  let consoleUrl: string
  let info: TestnetInfo
  let load: TransferLoad | undefined
  let browser: Browser | undefined
  let page: Page
  /** Page errors, console errors and failed scripts, from loading the page until its first render is checked. */
  const loadProblems: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quorate-console-'))
    const { basePort, consolePort } = await freePorts()
    // Its own process group (as a shell would give it), so afterAll can signal the runner and nothing else.
    runner = spawn(
      process.execPath,
      [
        cliMain,
        'testnet',
        '--dir',
        dir,
        '--validators',
        String(validatorCount),
        '--base-port',
        String(basePort),
        '--console-port',
        String(consolePort),
      ],
      { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    consoleUrl = await readConsoleUrl(runner, (text) => {
      runnerOutput += text
    })
    expect(new URL(consoleUrl).host).toBe(`127.0.0.1:${consolePort}`)
    info = JSON.parse(await readFile(testnetInfoFile(dir), 'utf8')) as TestnetInfo

    // An idle testnet commits nothing (README): transfers keep the heights moving, never through the validator
    // the test pauses (a request to a stopped process would only wait out its timeout).
    load = await TransferLoad.create(info)
    const targets = info.validators.filter((v) => v.index !== pausedIndex).map((v) => v.rpc)
    let next = 0
    load.start(() => targets[next++ % targets.length], 20)

    browser = await chromium.launch({ executablePath: chromiumPath!, headless: true })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    // Everything the console loads comes from the runner itself.
    const foreign: string[] = []
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith(consoleUrl) && !url.startsWith('data:')) foreign.push(url)
    })
    page.on('pageerror', (error) => {
      runnerOutput += `\n[page error] ${error.message}`
      loadProblems.push(`page error: ${error.message}`)
    })
    page.on('console', (message) => {
      if (message.type() === 'error') loadProblems.push(`console error: ${message.text()}`)
    })
    const scripts: string[] = []
    page.on('response', (response) => {
      if (response.request().resourceType() !== 'script') return
      scripts.push(new URL(response.url()).pathname)
      if (!response.ok()) loadProblems.push(`${response.url()}: HTTP ${response.status()}`)
    })
    await page.goto(consoleUrl)
    expect(foreign).toEqual([])
    // The entry and the modules it imports, each served by the runner.
    expect(scripts).toContain('/console.js')
    expect(scripts.length).toBeGreaterThan(1)
  }, 60_000)

  afterAll(async () => {
    await browser?.close().catch(() => {})
    await load?.stop()
    await stopRunner(runner, info)
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  }, 30_000)

  it('shows every validator live, with a labelled control for every input', async () => {
    await waitFor('4 validator rows with heights above 0', async () => {
      const heights = await rowHeights(page)
      return heights.length === validatorCount && heights.every((height) => height > 0)
    })
    for (let index = 0; index < validatorCount; index++) {
      expect(await healthOf(page, index)).toBe('up')
    }
    expect(await page.locator('#connection-state').textContent()).toBe('live')
    expect(loadProblems, 'the page loaded its modules and rendered without errors').toEqual([])

    // Accessibility sanity: one h1 and a heading per section, every control named.
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1)
    expect(await page.getByRole('heading', { level: 2 }).count()).toBeGreaterThanOrEqual(7)
    for (const label of [
      `Clock skew of validator ${pausedIndex}, in ms`,
      `Restart validator ${pausedIndex} as`,
      'Transaction hash (hex)',
      'Scenario to run',
      'From validators',
      'Drop rate (0–1)',
      'Both ways',
    ]) {
      expect(await page.getByLabel(label, { exact: true }).count(), label).toBe(1)
    }
    const snapshot = await page.locator('main').ariaSnapshot()
    const unnamed = snapshot
      .split('\n')
      .filter((line) =>
        /^\s*- (button|textbox|spinbutton|combobox|checkbox)\s*(\[[^\]]*\])?\s*(:.*)?$/.test(line),
      )
    expect(unnamed, 'controls without an accessible name').toEqual([])
  })

  it('shows the runner’s refusal of a bad control, and checks what it can before sending', async () => {
    // Resuming a validator that runs is refused by the runner (409); the page shows its message.
    const refusal = await fetch(new URL('api/control', consoleUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'resume', validator: 1 }),
    })
    expect(refusal.status).toBe(409)
    const { error } = (await refusal.json()) as { error: { message: string } }
    await page.getByRole('button', { name: 'Resume validator 1', exact: true }).click()
    await expect.poll(() => page.locator('#control-message').textContent()).toContain(error.message)
    expect(await page.locator('#control-message').getAttribute('data-kind')).toBe('error')

    // A skew that is not a number never leaves the page.
    await page.getByLabel('Clock skew of validator 1, in ms', { exact: true }).fill('')
    await page.getByRole('button', { name: 'Skew clock validator 1', exact: true }).click()
    await expect.poll(() => page.locator('#control-message').textContent()).toContain('whole number of ms')

    // By keyboard: Enter in the skew field sets it; the field keeps its focus while the state streams in.
    const skewInput = page.getByLabel('Clock skew of validator 1, in ms', { exact: true })
    await skewInput.fill('150')
    await skewInput.press('Enter')
    const skewCell = page.locator('tr[data-validator="1"] [data-field="skew"]')
    await expect.poll(() => skewCell.textContent(), { timeout: uiWaitMs }).toBe('+150 ms')
    await page.waitForTimeout(1_500)
    expect(await skewInput.evaluate((input) => input === input.ownerDocument.activeElement)).toBe(true)
    await skewInput.fill('0')
    await skewInput.press('Enter')
    await expect.poll(() => skewCell.textContent(), { timeout: uiWaitMs }).toBe('0 ms')
  })

  it('marks a validator paused with its button as down, and its height catches up once resumed', async () => {
    const row = page.locator(`tr[data-validator="${pausedIndex}"]`)
    await page.getByRole('button', { name: `Pause validator ${pausedIndex}`, exact: true }).click()
    await expect.poll(() => healthOf(page, pausedIndex), { timeout: uiWaitMs }).toBe('paused')
    expect(await row.getAttribute('data-health')).toBe('paused')
    expect(await page.locator('#faults-summary').textContent()).toMatch(/paused/)

    // The others go on committing without it.
    const heightAtPause = (await rowHeights(page))[pausedIndex]!
    await waitFor(`the others ${leadBlocksMin} blocks past validator ${pausedIndex}`, async () => {
      const heights = await rowHeights(page)
      return heights.every(
        (height, index) => index === pausedIndex || height >= heightAtPause + leadBlocksMin,
      )
    })
    expect(await healthOf(page, pausedIndex)).toBe('paused')
    // The timeline draws it as not answering.
    const downBand = page.locator(`#timeline .down[data-validator="${pausedIndex}"]`)
    await waitFor(
      `the timeline to show validator ${pausedIndex} down`,
      async () => (await downBand.count()) > 0,
    )
    expect(await page.locator('#timeline-summary').textContent()).toContain(`validator ${pausedIndex} for`)

    await page.getByRole('button', { name: `Resume validator ${pausedIndex}`, exact: true }).click()
    const othersAtResume = Math.max(...(await rowHeights(page)).filter((_, index) => index !== pausedIndex))
    await expect.poll(() => healthOf(page, pausedIndex), { timeout: uiWaitMs }).toBe('up')
    await waitFor(`validator ${pausedIndex} to catch up to height ${othersAtResume}`, async () => {
      return (await rowHeights(page))[pausedIndex]! >= othersAtResume
    })

    // The event log holds the pause and the resume.
    const log = (await page.locator('#event-log').textContent()) ?? ''
    expect(log).toMatch(/paus/i)
    expect(log).toMatch(/resum/i)
  }, 60_000)

  /** Polls `check` until it holds; on timeout, fails with what the runner printed. */
  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = uiWaitMs): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(await check())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; runner output:\n${runnerOutput.slice(-4_000)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
})

/** A base port for the validators and a console port (base + 99, the runner's default) that are both free. */
async function freePorts(): Promise<{ basePort: number; consolePort: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const basePort = await freeBasePort(validatorCount)
    if ((await findBusyPort([basePort + 99])) === undefined) return { basePort, consolePort: basePort + 99 }
  }
  throw new Error('no free console port found on 127.0.0.1')
}

/** Resolves with the URL from the runner's `console: http://127.0.0.1:PORT/` line. */
function readConsoleUrl(runner: ChildProcess, record: (text: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(
      () => fail(`no "console:" line within ${consoleUrlTimeoutMs} ms`),
      consoleUrlTimeoutMs,
    )
    const fail = (why: string): void => {
      clearTimeout(timer)
      reject(new Error(`${why}; runner output:\n${stdout.slice(-4_000)}`))
    }
    runner.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      record(text)
      const match = /^console: (http:\/\/127\.0\.0\.1:\d+\/)(?:\s|$)/m.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    runner.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      record(text)
    })
    runner.once('exit', (code, signal) => fail(`the runner exited (code ${code}, signal ${signal})`))
  })
}

/**
 * SIGTERM to the runner (it resumes and stops every validator), SIGKILL to its group after the grace, and
 * SIGKILL to any validator it left: they run in process groups of their own.
 */
async function stopRunner(runner: ChildProcess | undefined, info: TestnetInfo | undefined): Promise<void> {
  if (runner?.pid !== undefined && runner.exitCode === null && runner.signalCode === null) {
    const exited = new Promise<void>((resolve) => runner.once('exit', () => resolve()))
    signalGroup(runner.pid, 'SIGTERM')
    const timer = setTimeout(() => signalGroup(runner.pid!, 'SIGKILL'), runnerStopGraceMs)
    await exited
    clearTimeout(timer)
  }
  for (const validator of info?.validators ?? []) {
    if (!isAlive(validator.pid)) continue
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(validator.pid, signal)
      } catch {
        // Gone already.
      }
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is gone already.
  }
}

async function rowHeights(page: Page): Promise<number[]> {
  return page
    .locator('tr[data-validator] [data-field="height"]')
    .evaluateAll((cells) => cells.map((cell) => Number.parseInt(cell.textContent ?? '', 10)))
    .then((heights) => heights.map((height) => (Number.isNaN(height) ? -1 : height)))
}

async function healthOf(page: Page, index: number): Promise<string | null> {
  return page.locator(`tr[data-validator="${index}"] [data-field="health"]`).textContent()
}
