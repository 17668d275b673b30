// Scenario files (testnet/scenarios/NAME.json): a testnet's size and fixtures, a load, and a timed list of lab
// commands, each optionally with what must happen to commits until the next step. docs/fault-lab.md.

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError } from '../../node/cli/errors.js'
import { isByzantineName } from '../byzantine/registry.js'
import { testnetValidatorCountMax } from '../layout.js'
import { consoleDir } from './console-files.js'

/** A validator named by what it is when the step runs. */
export type ValidatorRef = number | 'leader' | 'others' | 'killed' | 'paused'

export interface ScenarioStep {
  readonly atMs: number
  /** A lab command (docs/fault-lab.md) whose validator fields may be ValidatorRefs; absent: a checkpoint. */
  readonly do?: Readonly<Record<string, unknown>>
  /** Blocks committed from this step to the next (or the end): at least one, or none at all. */
  readonly expectCommits?: 'some' | 'none'
}

export interface Scenario {
  readonly name: string
  readonly description: string
  readonly validators: number
  readonly byzantine: Readonly<Record<number, string>>
  readonly twins: readonly number[]
  /** Run once per malicious fixture, with these validators running it. */
  readonly eachFixture: readonly number[] | undefined
  readonly load: { readonly clients: number; readonly intervalMs: number }
  readonly durationMs: number
  readonly steps: readonly ScenarioStep[]
  readonly livenessBoundMs: number
}

const scenarioDurationMsMax = 600_000
const validatorRefs = new Set(['leader', 'others', 'killed', 'paused'])

export class ScenarioFileError extends CliError {
  static override name = 'ScenarioFileError'
  override name = 'ScenarioFileError'
}

export function scenariosDir(): string {
  return join(consoleDir(), '..', 'scenarios')
}

export async function scenarioNames(): Promise<string[]> {
  const files = await readdir(scenariosDir()).catch(() => [] as string[])
  return files
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort()
}

export async function loadScenario(name: string): Promise<Scenario> {
  if (!/^[a-z0-9-]+$/.test(name))
    throw new ScenarioFileError(`scenario names are lowercase words joined by -, got "${name}"`)
  const path = join(scenariosDir(), `${name}.json`)
  const text = await readFile(path, 'utf8').catch(async () => {
    throw new ScenarioFileError(
      `no scenario "${name}"; the shipped ones: ${(await scenarioNames()).join(', ')}`,
    )
  })
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ScenarioFileError(
      `${path}: not JSON (${error instanceof Error ? error.message : String(error)})`,
    )
  }
  return parseScenario(name, json)
}

export function parseScenario(name: string, json: unknown): Scenario {
  const fields = object(json, name)
  const field = (key: string) => `${name}: ${key}`
  const validators = whole(fields.validators, field('validators'), 1, testnetValidatorCountMax)
  const index = (value: unknown, at: string) => whole(value, at, 0, validators - 1)
  const byzantine: Record<number, string> = {}
  for (const [key, fixture] of Object.entries(object(fields.byzantine ?? {}, field('byzantine')))) {
    if (typeof fixture !== 'string' || !isByzantineName(fixture)) {
      throw new ScenarioFileError(
        `${field(`byzantine.${key}`)}: not a fixture name: ${JSON.stringify(fixture)}`,
      )
    }
    byzantine[index(Number(key), field(`byzantine key ${key}`))] = fixture
  }
  const list = (value: unknown, at: string): number[] => {
    if (!Array.isArray(value)) throw new ScenarioFileError(`${at}: an array of validator indexes`)
    return value.map((item, position) => index(item, `${at}[${position}]`))
  }
  const load = object(fields.load ?? {}, field('load'))
  const durationMs = whole(fields.duration_ms, field('duration_ms'), 1_000, scenarioDurationMsMax)
  if (!Array.isArray(fields.steps)) throw new ScenarioFileError(`${field('steps')}: an array of steps`)
  const steps = fields.steps.map((value, position) => {
    const at = field(`steps[${position}]`)
    const step = object(value, at)
    const expect = step.expect_commits
    if (expect !== undefined && expect !== 'some' && expect !== 'none') {
      throw new ScenarioFileError(`${at}.expect_commits: "some" or "none"`)
    }
    const command = step.do === undefined ? undefined : object(step.do, `${at}.do`)
    if (command !== undefined) checkRefs(command, `${at}.do`, validators)
    return {
      atMs: whole(step.at_ms, `${at}.at_ms`, 0, durationMs),
      ...(command === undefined ? {} : { do: command }),
      ...(expect === undefined ? {} : { expectCommits: expect }),
    } satisfies ScenarioStep
  })
  steps.forEach((step, position) => {
    if (position > 0 && step.atMs < steps[position - 1]!.atMs) {
      throw new ScenarioFileError(`${field(`steps[${position}].at_ms`)}: steps must be in time order`)
    }
  })
  return {
    name,
    description: typeof fields.description === 'string' ? fields.description : '',
    validators,
    byzantine,
    twins: fields.twins === undefined ? [] : list(fields.twins, field('twins')),
    eachFixture:
      fields.each_fixture === undefined ? undefined : list(fields.each_fixture, field('each_fixture')),
    load: {
      clients: whole(load.clients ?? 4, field('load.clients'), 1, 64),
      intervalMs: whole(load.interval_ms ?? 100, field('load.interval_ms'), 0, 60_000),
    },
    durationMs,
    steps,
    livenessBoundMs: whole(fields.liveness_bound_ms ?? 10_000, field('liveness_bound_ms'), 100, 600_000),
  }
}

/** Validator fields of a step's command: an index or a ref, in place or inside lists. */
function checkRefs(command: Record<string, unknown>, at: string, validators: number): void {
  for (const key of ['validator', 'from', 'to', 'groups']) {
    const value = command[key]
    if (value === undefined) continue
    const items = Array.isArray(value) ? value.flat() : [value]
    for (const item of items) {
      const ok =
        (typeof item === 'number' && Number.isInteger(item) && item >= 0 && item < validators) ||
        (typeof item === 'string' && validatorRefs.has(item))
      if (!ok) {
        throw new ScenarioFileError(
          `${at}.${key}: validator indexes 0..${validators - 1} or ${[...validatorRefs].join(', ')}; got ${JSON.stringify(item)}`,
        )
      }
    }
  }
}

function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ScenarioFileError(`${at}: a JSON object`)
  return value as Record<string, unknown>
}

function whole(value: unknown, at: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ScenarioFileError(`${at}: a whole number ${min}..${max}; got ${JSON.stringify(value)}`)
  }
  return value
}
