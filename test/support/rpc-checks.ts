import { readFile } from 'node:fs/promises'
import { expect } from 'vitest'
import { fromHex, readKeyFile } from '../../crypto/index.js'
import { buildTransfer, txToHex } from '../../node/client/transfer.js'
import { rpcCall } from '../../node/rpc/client.js'
import type { TestnetInfo } from '../../testnet/info.js'

export interface StatusResult {
  readonly node_id: string
  readonly height: number
  readonly block_hash: string
  readonly state_root: string
  readonly view: number
  readonly catching_up: boolean
}

export interface BlockResult {
  readonly hash: string
  readonly height: number
  readonly view: number
  readonly parent_hash: string
  readonly state_root: string
  readonly proposer: number
  readonly timestamp_ms: number
  readonly txs: ReadonlyArray<{
    readonly hash: string
    readonly from: string
    readonly to: string
    readonly amount: string
  }>
}

export const status = (rpc: string) => rpcCall<StatusResult>(rpc, 'status', {})
export const blockAt = (rpc: string, height: number) => rpcCall<BlockResult>(rpc, 'block', { height })

/** A 1-unit transfer from the testnet's first account to its second, sent to `rpc` and waited for (broadcast_tx_commit). */
export async function commitTransfer(
  info: TestnetInfo,
  rpc: string,
  nonce: number,
): Promise<{ height: number; code: number }> {
  const tx = buildTransfer({
    chainId: info.chain_id,
    keyPair: await readKeyFile(info.accounts[0]!.key_file),
    to: fromHex(info.accounts[1]!.address, 32),
    amount: 1n,
    nonce,
  })
  return rpcCall(rpc, 'broadcast_tx_commit', { tx: txToHex(tx) })
}

/** Polls until `condition` holds, or fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/**
 * Agreement: every validator in `rpcs` has the same block hash, parent link and state root at every height up
 * to `height`. Returns the blocks of the first validator.
 */
export async function checkAgreementUpTo(rpcs: readonly string[], height: number): Promise<BlockResult[]> {
  const blocks: BlockResult[] = []
  let parentHash: string | undefined
  for (let h = 1; h <= height; h++) {
    const views = await Promise.all(rpcs.map((rpc) => blockAt(rpc, h)))
    const first = views[0]!
    for (const [i, other] of views.entries()) {
      if (other.hash !== first.hash || other.state_root !== first.state_root) {
        throw new Error(
          `agreement violated at height ${h}: ${rpcs[0]} has ${first.hash}, ${rpcs[i]} has ${other.hash}`,
        )
      }
    }
    if (parentHash !== undefined && first.parent_hash !== parentHash)
      throw new Error(`height ${h} does not link to its parent`)
    parentHash = first.hash
    blocks.push(first)
  }
  return blocks
}

/** Exactly once: every acknowledged transaction hash appears in exactly one of `blocks`. */
export function expectCommittedOnce(
  blocks: readonly BlockResult[],
  acknowledged: readonly string[],
  replay: string,
) {
  const appearances = new Map<string, number>()
  for (const block of blocks)
    for (const tx of block.txs) appearances.set(tx.hash, (appearances.get(tx.hash) ?? 0) + 1)
  for (const hash of acknowledged) expect(appearances.get(hash), `${hash} (${replay})`).toBe(1)
}

/**
 * No honest equivocation, read from each validator's signing audit log (`"signed"` lines) across all of its
 * lives: one digest per (kind, view).
 */
export async function expectNoDoubleSigning(logFiles: readonly string[], replay: string): Promise<void> {
  for (const [index, logFile] of logFiles.entries()) {
    const signed = new Map<string, string>()
    for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
      if (!line.includes('"signed"')) continue
      const entry = JSON.parse(line) as { signed?: { kind: string; view: number; digest: string } }
      if (entry.signed === undefined) continue
      const key = `${entry.signed.kind}:${entry.signed.view}`
      const earlier = signed.get(key)
      expect(
        earlier === undefined || earlier === entry.signed.digest,
        `validator ${index} signed two ${key} (${replay})`,
      ).toBe(true)
      signed.set(key, entry.signed.digest)
    }
    expect(signed.size, `validator ${index} signed something`).toBeGreaterThan(0)
  }
}

/** Each validator's status and consensus state, for a failure message. */
async function describe(rpcs: readonly string[]): Promise<string> {
  const each = await Promise.all(
    rpcs.map(async (rpc, index) => {
      const state = await Promise.all([status(rpc), rpcCall(rpc, 'consensus_state', {})]).catch(
        (error: unknown) => String(error),
      )
      return `validator ${index}: ${JSON.stringify(state)}`
    }),
  )
  return each.join('\n')
}

/**
 * Once load has stopped: waits until every acknowledged transfer is committed, every validator has committed the
 * highest block that holds one, and the validators are within two blocks of each other; then checks agreement
 * up to the lowest head and that each acknowledged transfer is in exactly one block. Returns the agreed blocks.
 */
export async function expectSettledAgreement(
  rpcs: readonly string[],
  acknowledged: readonly string[],
  replay: string,
): Promise<BlockResult[]> {
  let highestWithTransfer = 0
  let missing = ''
  await waitFor(
    `every acknowledged transfer committed (${replay})`,
    async () => {
      for (const hash of acknowledged) {
        missing = hash
        const { height } = await rpcCall<{ height: number }>(rpcs[0]!, 'tx', { hash })
        highestWithTransfer = Math.max(highestWithTransfer, height)
      }
      return true
    },
    90_000,
  ).catch(async (error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : error}; ${missing} missing; ${await describe(rpcs)}`,
    )
  })
  const heights = async () => Promise.all(rpcs.map(async (rpc) => (await status(rpc)).height))
  // Agreement is checked up to the lowest head, so that head must hold every acknowledged transfer.
  let last: number[] = []
  await waitFor(`all validators at one height, at least ${highestWithTransfer} (${replay})`, async () => {
    last = await heights()
    return Math.min(...last) >= Math.max(...last) - 2 && Math.min(...last) >= highestWithTransfer
  }).catch(async (error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : error}; heights ${last.join(', ')}\n${await describe(rpcs)}`,
    )
  })
  const blocks = await checkAgreementUpTo(rpcs, Math.min(...(await heights())))
  expectCommittedOnce(blocks, acknowledged, replay)
  return blocks
}
