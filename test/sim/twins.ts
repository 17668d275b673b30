import type { CommitRule } from '../../ledger/commit-rule.js'
import { checkSafety } from './checkers.js'
import { Cluster, defaultSimParams, type NodeSpec, type Violation } from './cluster.js'
import { Prng } from './prng.js'

/**
 * Twins (as in Diem's Twins): a faulty validator is modelled as two honest-code nodes sharing one key, and the
 * scheduler partitions the nodes differently in each round. Every scenario is derived from a seed: which
 * validators are twinned, and for each round a partition of all nodes (twins included) into one to three groups.
 */
export interface TwinsScenario {
  readonly seed: number
  readonly validators: number
  /** Validator indices that have a twin. */
  readonly twinned: readonly number[]
  /** Per round, the groups of node ids that can hear each other. */
  readonly rounds: ReadonlyArray<ReadonlyArray<readonly number[]>>
  /**
   * 'empty-blocks': validators propose empty blocks while idle (create_empty_blocks), no clients. 'quiescent':
   * the default configuration, blocks only with work, which clients submit throughout. Alternates by seed.
   */
  readonly pacing: 'empty-blocks' | 'quiescent'
  readonly commitRule: CommitRule
}

export interface TwinsResult {
  readonly scenario: TwinsScenario
  readonly violations: readonly Violation[]
  readonly committedHeight: number
}

/** Simulated length of one round: about one view timeout. */
export const twinsRoundMs = 1_000
const settleMs = 3_000

export function twinsScenario(
  seed: number,
  options: { validators?: number; twins?: number; rounds?: number; commitRule?: CommitRule } = {},
) {
  const prng = new Prng(seed)
  const validators = options.validators ?? 4
  const twinCount = options.twins ?? 1
  const roundCount = options.rounds ?? 4
  const twinned = pickDistinct(prng, validators, twinCount)
  const nodeCount = validators + twinCount
  const rounds = Array.from({ length: roundCount }, () => randomPartition(prng, nodeCount, prng.int(1, 3)))
  const pacing = seed % 2 === 0 ? 'empty-blocks' : 'quiescent'
  const commitRule = options.commitRule ?? defaultSimParams.commitRule
  return { seed, validators, twinned, rounds, pacing, commitRule } satisfies TwinsScenario
}

export async function runTwins(scenario: TwinsScenario): Promise<TwinsResult> {
  const nodes: NodeSpec[] = [
    ...Array.from({ length: scenario.validators }, (_, index) => ({
      index,
      twin: scenario.twinned.includes(index),
    })),
    ...scenario.twinned.map((index) => ({ index, twin: true })),
  ]
  const cluster = new Cluster({
    validators: scenario.validators,
    seed: scenario.seed,
    nodes,
    params: { commitRule: scenario.commitRule },
    ...(scenario.pacing === 'empty-blocks'
      ? { createEmptyBlocks: true }
      : { createEmptyBlocks: false, clients: 2, clientIntervalMs: 150 }),
  })
  scenario.rounds.forEach((groups, round) => {
    cluster.at(round * twinsRoundMs, () => {
      cluster.network.heal()
      cluster.network.partition(groups)
    })
  })
  const endOfRounds = scenario.rounds.length * twinsRoundMs
  cluster.at(endOfRounds, () => cluster.network.heal())
  cluster.start()
  await cluster.runUntil(endOfRounds + settleMs)
  return {
    scenario,
    violations: checkSafety(cluster),
    committedHeight: Math.max(0, ...cluster.honestNodes.map((node) => node.committedHeight)),
  }
}

function pickDistinct(prng: Prng, count: number, picks: number): number[] {
  const pool = Array.from({ length: count }, (_, i) => i)
  const chosen: number[] = []
  for (let i = 0; i < picks; i++) chosen.push(pool.splice(prng.int(0, pool.length - 1), 1)[0]!)
  return chosen.sort((a, b) => a - b)
}

/** Assigns each node to one of `groupCount` groups (empty groups dropped). */
function randomPartition(prng: Prng, nodeCount: number, groupCount: number): number[][] {
  const groups: number[][] = Array.from({ length: groupCount }, () => [])
  for (let node = 0; node < nodeCount; node++) groups[prng.int(0, groupCount - 1)]!.push(node)
  return groups.filter((group) => group.length > 0)
}
