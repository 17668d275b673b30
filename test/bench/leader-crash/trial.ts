// One leader-crash trial on a testnet under steady load: poll every validator's status until the chain is
// seen committing, SIGKILL the leader of the highest view reported (or of the view after it), poll the
// survivors until a block after the views the crash cost is committed (the committed chain, read with `block`,
// tells which views those were), read from the survivors' logs when their timers for the missed view fired,
// restart the victim and wait until its height has reached the survivors'.

import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { roundRobinLeader } from '../../../node/consensus/leader-election.js'
import { rpcCall } from '../../../node/rpc/client.js'
import type { RunningTestnet } from '../../../testnet/runner.js'
import { type CommittedBlockView, findMissedViews, firstSeen, type MissedViews } from './recovery.js'
import type { LeaderCrashTrial } from './report.js'
import { firstTimeoutMs, logSize, readSignedSince } from './signed-log.js'
import { StatusPoller, type StatusSample } from './status-poller.js'

/**
 * Which leader dies: `current` leads the highest view a validator reported (it has usually proposed already, so
 * its crash costs nothing until its next turn, n views later); `next` leads the view after it (usually killed
 * before it proposes, so its own view is the one missed).
 */
export type VictimRule = 'current' | 'next'
export const victimRules: readonly VictimRule[] = ['current', 'next']

export interface TrialContext {
  readonly testnet: RunningTestnet
  readonly pollIntervalMs: number
  readonly victimRule: VictimRule
  /** After the victim caught up: load runs on before the next trial. */
  readonly settleMs: number
  /** Shown on the progress line. */
  readonly report: (detail: string) => void
}

export class LeaderCrashError extends Error {
  static override name = 'LeaderCrashError'
  override name = 'LeaderCrashError'
}

/** The chain must be seen committing for this long before a kill, so there is load to recover. */
const progressWindowMs = 300
const progressDeadlineMs = 30_000
/** A trial whose chain has not recovered by then is reported without a recovery. */
export const recoveryDeadlineMs = 60_000
const recoveryCheckIntervalMs = 20
const catchUpDeadlineMs = 120_000
const catchUpPollIntervalMs = 100
const rpcTimeoutMs = 5_000
/** Blocks read per `block` call round; the chain commits a few dozen blocks per second under load. */
const blockFetchConcurrency = 16

const round = (ms: number): number => Math.round(ms * 10) / 10

export async function runTrial(context: TrialContext, trial: number): Promise<LeaderCrashTrial> {
  const { testnet } = context
  const validators = testnet.info.validators.map((validator) => ({
    index: validator.index,
    rpcUrl: validator.rpc,
  }))
  const n = validators.length
  const poller = new StatusPoller(validators, context.pollIntervalMs)
  let kill: {
    victim: number
    atMs: number
    wallMs: number
    view: number
    height: number
    exited: Promise<unknown>
    logOffsets: number[]
  }
  const logFiles = testnet.info.validators.map((validator) => validator.log_file)
  let outcome: Recovery | null
  try {
    await waitForCommits(poller, validators.length)
    const latest = validators.map((validator) => poller.latest(validator.index)!)
    const view = Math.max(...latest.map((sample) => sample.view))
    const height = Math.max(...latest.map((sample) => sample.height))
    const victimView = context.victimRule === 'current' ? view : view + 1
    // The current view's leader as the validators in it report it (leader election passes over a validator
    // with no recent block, such as an earlier victim); the next view's is round robin, which is right while
    // every validator is active.
    const reported = latest.find((sample) => sample.view === view)?.leader ?? null
    const victim =
      context.victimRule === 'current' && reported !== null ? reported : roundRobinLeader(victimView, n)
    const logOffsets = await Promise.all(logFiles.map(logSize))
    poller.exclude(victim)
    // stopOne sends the signal before its first await: the process is gone when the clock is read.
    const exited = testnet.processes.stopOne(victim, 'SIGKILL')
    const atMs = performance.now()
    kill = { victim, atMs, wallMs: performance.timeOrigin + atMs, view, height, exited, logOffsets }
    context.report(`trial ${trial}: killed validator ${victim} (leader of view ${victimView})`)
    const survivors = validators.filter((validator) => validator.index !== victim)
    outcome = await watchRecovery(poller, survivors, kill)
  } finally {
    await poller.stop()
  }
  await kill.exited
  const survivorIndexes = validators.map((v) => v.index).filter((index) => index !== kill.victim)
  const samples = poller.samples.filter((sample) => sample.validator !== kill.victim)
  const sinceKill = (seen: (sample: StatusSample) => boolean): number | null => {
    const window = firstSeen(samples, survivorIndexes, kill.atMs, seen)
    return window === null ? null : round(window.latestMs - kill.atMs)
  }
  const recovered = outcome === null ? null : firstSeen(samples, survivorIndexes, kill.atMs, outcome.seen)
  const missed = outcome?.missed ?? null
  const timeoutWallMs =
    missed === null
      ? null
      : await firstSurvivorTimeoutMs(logFiles, kill.logOffsets, kill.victim, missed.firstView)
  context.report(`trial ${trial}: restarting validator ${kill.victim}`)
  const catchUpMs = await restartAndCatchUp(testnet, kill.victim, validators)
  context.report(`trial ${trial}: validator ${kill.victim} caught up; settling`)
  await sleep(context.settleMs)
  return {
    trial,
    victim: kill.victim,
    view_at_kill: kill.view,
    height_at_kill: kill.height,
    missed_views: missed === null ? null : [missed.firstView, missed.lastView],
    recovery_height: missed?.resumeHeight ?? null,
    recovery_ms: recovered === null ? null : round(recovered.latestMs - kill.atMs),
    recovery_earliest_ms: recovered === null ? null : round(recovered.earliestMs - kill.atMs),
    first_commit_ms: sinceKill((sample) => sample.height > kill.height),
    entered_missed_view_ms: missed === null ? null : sinceKill((sample) => sample.view >= missed.firstView),
    left_missed_views_ms: missed === null ? null : sinceKill((sample) => sample.view >= missed.resumeView),
    timeout_signed_ms: timeoutWallMs === null ? null : round(timeoutWallMs - kill.wallMs),
    catch_up_ms: round(catchUpMs),
    polls: samples.filter((sample) => sample.sentMs >= kill.atMs).length,
  }
}

/** Resolves once every validator has answered and the highest committed height rose over a short window. */
async function waitForCommits(poller: StatusPoller, validatorCount: number): Promise<void> {
  const deadline = performance.now() + progressDeadlineMs
  let baseline: number | undefined
  let baselineAtMs = 0
  for (;;) {
    const samples = Array.from({ length: validatorCount }, (_, index) => poller.latest(index))
    if (samples.every((sample) => sample !== undefined && !sample.catchingUp)) {
      const height = Math.max(...samples.map((sample) => sample!.height))
      if (baseline === undefined) {
        baseline = height
        baselineAtMs = performance.now()
      } else if (height > baseline && performance.now() - baselineAtMs >= progressWindowMs) {
        return
      }
    }
    if (performance.now() > deadline) {
      throw new LeaderCrashError(
        `the chain committed nothing for ${progressDeadlineMs} ms before a kill (is the load running?)`,
      )
    }
    await sleep(Math.max(poller.intervalMs, 10))
  }
}

interface Recovery {
  readonly missed: MissedViews
  readonly seen: (sample: StatusSample) => boolean
}

/**
 * Polls until a survivor reports a committed height at or past the first block after the missed views, reading
 * the committed blocks above the height at the kill as the survivors report them. Null after the deadline.
 */
async function watchRecovery(
  poller: StatusPoller,
  survivors: readonly { readonly index: number; readonly rpcUrl: string }[],
  kill: { readonly atMs: number; readonly view: number; readonly height: number },
): Promise<Recovery | null> {
  const blocks: CommittedBlockView[] = []
  const deadline = kill.atMs + recoveryDeadlineMs
  const survivorIndexes = survivors.map((survivor) => survivor.index)
  while (performance.now() < deadline) {
    await sleep(recoveryCheckIntervalMs)
    const samples = poller.samples
    let top: StatusSample | undefined
    for (const sample of samples) {
      if (sample.sentMs < kill.atMs || !survivorIndexes.includes(sample.validator)) continue
      if (top === undefined || sample.height > top.height) top = sample
    }
    if (top === undefined) continue
    const next = blocks.length === 0 ? kill.height : blocks[blocks.length - 1]!.height + 1
    if (top.height >= next) {
      const rpcUrl = survivors.find((survivor) => survivor.index === top.validator)!.rpcUrl
      blocks.push(...(await readBlocks(rpcUrl, next, top.height)))
    }
    const missed = findMissedViews(blocks, kill.view)
    if (missed === null) continue
    const seen = (sample: StatusSample): boolean => sample.height >= missed.resumeHeight
    if (firstSeen(samples, survivorIndexes, kill.atMs, seen) !== null) return { missed, seen }
  }
  return null
}

/** The wall-clock time the first survivor signed a timeout for `view`, from the survivors' logs. */
async function firstSurvivorTimeoutMs(
  logFiles: readonly string[],
  offsets: readonly number[],
  victim: number,
  view: number,
): Promise<number | null> {
  let earliest: number | null = null
  for (const [index, logFile] of logFiles.entries()) {
    if (index === victim) continue
    const timeMs = firstTimeoutMs(await readSignedSince(logFile, offsets[index]!), view)
    if (timeMs !== null && (earliest === null || timeMs < earliest)) earliest = timeMs
  }
  return earliest
}

async function readBlocks(rpcUrl: string, from: number, to: number): Promise<CommittedBlockView[]> {
  const read: CommittedBlockView[] = []
  for (let start = from; start <= to; start += blockFetchConcurrency) {
    const heights = Array.from(
      { length: Math.min(blockFetchConcurrency, to - start + 1) },
      (_, i) => start + i,
    )
    read.push(
      ...(await Promise.all(
        heights.map(async (height) => {
          const block = await rpcCall<{ height: unknown; view: unknown }>(
            rpcUrl,
            'block',
            { height },
            { timeoutMs: rpcTimeoutMs },
          )
          if (typeof block.height !== 'number' || typeof block.view !== 'number') {
            throw new LeaderCrashError(`block ${height} from ${rpcUrl} has no height or view`)
          }
          return { height: block.height, view: block.view }
        }),
      )),
    )
  }
  return read
}

/** Starts the victim again and resolves with the time it took to reach the survivors' height at the restart. */
async function restartAndCatchUp(
  testnet: RunningTestnet,
  victim: number,
  validators: readonly { readonly index: number; readonly rpcUrl: string }[],
): Promise<number> {
  const survivorHeights = await Promise.all(
    validators
      .filter((validator) => validator.index !== victim)
      .map(async (validator) => (await status(validator.rpcUrl)).height),
  )
  const target = Math.max(...survivorHeights)
  const startedMs = performance.now()
  await testnet.restart(victim)
  const rpcUrl = validators.find((validator) => validator.index === victim)!.rpcUrl
  for (;;) {
    const answer = await status(rpcUrl).catch(() => undefined)
    if (answer !== undefined && answer.height >= target && !answer.catching_up) {
      return performance.now() - startedMs
    }
    if (performance.now() - startedMs > catchUpDeadlineMs) {
      throw new LeaderCrashError(
        `validator ${victim} did not reach height ${target} within ${catchUpDeadlineMs} ms of its restart`,
      )
    }
    await sleep(catchUpPollIntervalMs)
  }
}

async function status(rpcUrl: string): Promise<{ height: number; catching_up: boolean }> {
  return rpcCall<{ height: number; catching_up: boolean }>(rpcUrl, 'status', {}, { timeoutMs: rpcTimeoutMs })
}
