import type { CommitRule } from '../../ledger/commit-rule.js'
import type { ByzantineName } from '../../testnet/byzantine/index.js'
import { byzantineNames } from '../../testnet/byzantine/index.js'
import { checkExactlyOnce, checkSafety } from './checkers.js'
import { Cluster, type NodeSpec, type Violation } from './cluster.js'
import { Prng } from './prng.js'

/** When faults stop, every honest node must commit a new block within this many views (docs/simulation.md). */
export function livenessViewBound(validators: number): number {
  return 3 * validators + 6
}

/** Simulated time after the last fault heals in which liveness must show. */
export const livenessWindowMs = 40_000

export interface ScenarioOptions {
  readonly seed: number
  readonly validators?: number
  /** Leave out malicious fixtures (for runs that isolate network faults). */
  readonly honestOnly?: boolean
  /** Run exactly f replicas as this fixture (instead of a random number of random fixtures). */
  readonly fixture?: ByzantineName
  /** The chain's commit rule (default: the simulator's, defaultSimParams). */
  readonly commitRule?: CommitRule
}

export interface ScenarioResult {
  readonly seed: number
  readonly validators: number
  readonly byzantine: ReadonlyArray<{ index: number; name: ByzantineName }>
  readonly faults: readonly string[]
  readonly violations: readonly Violation[]
  /** Highest view reached by any honest node. */
  readonly views: number
  /** Per honest node: views from the heal to its first new commit. */
  readonly recoveryViews: readonly number[]
  readonly committedHeight: number
  readonly acknowledgedTxs: number
  readonly traceHash: number
}

/**
 * One seeded run: n validators (4, 7 or 10), up to f malicious fixtures, then a random sequence of network
 * faults (partitions symmetric, one-way and flapping, loss and duplication), crash/restarts of honest nodes
 * within the fault budget and power cuts (every validator at once), then a heal and a liveness window. Checks
 * every invariant.
 */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const plan = new Prng(options.seed ^ 0x5eed)
  // Drawn even when given, so that `--validators N` replays exactly the run it names.
  const drawnValidators = [4, 7, 10][plan.int(0, 2)]!
  const validators = options.validators ?? drawnValidators
  const f = Math.floor((validators - 1) / 3)
  const byzantineCount = options.honestOnly ? 0 : options.fixture !== undefined ? f : plan.int(0, f)
  const indices = shuffle(
    plan,
    Array.from({ length: validators }, (_, i) => i),
  )
  const byzantine = indices.slice(0, byzantineCount).map((index) => ({
    index,
    name: options.fixture ?? byzantineNames[plan.int(0, byzantineNames.length - 1)]!,
  }))
  const nodes: NodeSpec[] = Array.from({ length: validators }, (_, index) => {
    const fixture = byzantine.find((b) => b.index === index)
    return fixture === undefined ? { index } : { index, byzantine: fixture.name }
  })
  const cluster = new Cluster({
    validators,
    seed: options.seed,
    nodes,
    clients: 3,
    clientIntervalMs: 400,
    ...(options.commitRule === undefined ? {} : { params: { commitRule: options.commitRule } }),
  })
  const faults: string[] = []
  const crashable = indices.slice(byzantineCount)
  const crashBudget = f - byzantineCount

  let atMs = 1_000
  const healAtMs = plan.int(4_000, 20_000)
  while (atMs < healAtMs) {
    const durationMs = Math.min(plan.int(500, 4_000), healAtMs - atMs)
    const start = atMs
    const end = atMs + durationMs
    const kind = ['partition', 'one-way', 'flapping', 'lossy', 'crash', 'calm'][plan.int(0, 5)]!
    if (kind === 'partition' || kind === 'one-way') {
      const split = shuffle(
        plan,
        Array.from({ length: validators }, (_, i) => i),
      )
      const cutAt = plan.int(1, validators - 1)
      const [a, b] = [split.slice(0, cutAt), split.slice(cutAt)]
      cluster.at(start, () =>
        kind === 'partition' ? cluster.network.partition([a, b]) : cluster.network.cut(a, b),
      )
      cluster.at(end, () => cluster.network.heal())
      faults.push(`${start}-${end}ms ${kind} [${a}] | [${b}]`)
    } else if (kind === 'flapping') {
      const split = shuffle(
        plan,
        Array.from({ length: validators }, (_, i) => i),
      )
      const [a, b] = [split.slice(0, Math.floor(validators / 2)), split.slice(Math.floor(validators / 2))]
      for (let t = start, on = true; t < end; t += 300, on = !on) {
        cluster.at(t, on ? () => cluster.network.partition([a, b]) : () => cluster.network.heal())
      }
      cluster.at(end, () => cluster.network.heal())
      faults.push(`${start}-${end}ms flapping [${a}] | [${b}]`)
    } else if (kind === 'lossy') {
      const profile = { delayMsMin: 1, delayMsMax: 300, lossProbability: 0.2, duplicateProbability: 0.1 }
      cluster.at(start, () => cluster.network.setProfile(profile))
      cluster.at(end, () => cluster.network.heal())
      faults.push(`${start}-${end}ms lossy`)
    } else if (kind === 'crash' && plan.chance(0.25)) {
      // A power cut: every validator at once (more than f, so only before the heal), all restarted together.
      for (const node of nodes) {
        cluster.at(start, () => cluster.crash(node.index))
        cluster.at(end, () => cluster.restart(node.index))
      }
      faults.push(`${start}-${end}ms power cut: every validator crashed, then restarted`)
    } else if (kind === 'crash' && crashBudget > 0) {
      const victims = shuffle(plan, crashable).slice(0, plan.int(1, crashBudget))
      for (const victim of victims) {
        cluster.at(start, () => cluster.crash(victim))
        cluster.at(end, () => cluster.restart(victim))
      }
      faults.push(`${start}-${end}ms crash+restart [${victims}]`)
    }
    atMs = end
  }
  // Malicious replicas crash and restart too (an amnesiac one comes back without its safety state).
  for (const { index } of byzantine) {
    const crashAt = plan.int(1_000, healAtMs)
    cluster.at(crashAt, () => cluster.crash(index))
    cluster.at(Math.min(crashAt + plan.int(200, 2_000), healAtMs), () => cluster.restart(index))
    faults.push(`${crashAt}ms crash+restart of malicious ${index}`)
  }
  cluster.clientsStopAtMs = healAtMs + livenessWindowMs / 3

  cluster.start()
  await cluster.runUntil(healAtMs)
  const honest = cluster.honestNodes
  const heightsAtHeal = honest.map((node) => node.committedHeight)
  const viewAtHeal = Math.max(...honest.map((node) => node.view))
  await cluster.runUntil(healAtMs + livenessWindowMs)

  const violations = [...checkSafety(cluster), ...checkExactlyOnce(cluster, true)]
  const recoveryViews = honest.map((node, i) => {
    const first = cluster.commitLog.find(
      (c) => c.node === node.id && c.atMs >= healAtMs && c.height > heightsAtHeal[i]!,
    )
    if (first === undefined) {
      violations.push({
        kind: 'liveness',
        detail: `node ${node.id} committed nothing after the heal at ${healAtMs} ms`,
      })
      return Number.POSITIVE_INFINITY
    }
    return Math.max(0, first.view - viewAtHeal)
  })
  const bound = livenessViewBound(validators)
  for (const [i, views] of recoveryViews.entries()) {
    if (Number.isFinite(views) && views > bound) {
      violations.push({
        kind: 'liveness',
        detail: `node ${honest[i]!.id} took ${views} views to commit after the heal (bound ${bound})`,
      })
    }
  }
  return {
    seed: options.seed,
    validators,
    byzantine,
    faults,
    violations,
    views: Math.max(...honest.map((node) => node.view)),
    recoveryViews: recoveryViews.filter(Number.isFinite),
    committedHeight: Math.max(...honest.map((node) => node.committedHeight)),
    acknowledgedTxs: cluster.acknowledged.length,
    traceHash: cluster.traceHash,
  }
}

/** The seed of the `round`-th run of fixture number `fixtureIndex` (in byzantineNames) with n validators. */
export function fixtureSeed(validators: number, fixtureIndex: number, round = 0): number {
  return 1_000 + validators * 100 + fixtureIndex + round * 10_000
}

function shuffle<T>(prng: Prng, items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = prng.int(0, i)
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}
