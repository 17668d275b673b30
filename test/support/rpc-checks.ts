import { rpcCall } from '../../node/rpc/client.js'

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
