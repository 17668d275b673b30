// A quiescent chain (the default, create_empty_blocks false): while no transaction waits, validators send and
// write nothing; a transaction wakes the chain at once, and the two ways one could stay stuck after a quiet
// spell are covered: a transaction only one replica holds, and a replica that missed the last votes.
import { describe, expect, it } from 'vitest'
import { toHex } from '../../crypto/hex.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { checkExactlyOnce, checkSafety } from '../sim/checkers.js'
import { Cluster, defaultSimParams } from '../sim/cluster.js'

/** Submits one transfer from client account `client` at node `entry`; returns its hash. */
async function submitTransfer(cluster: Cluster, entry: number, client: number): Promise<string> {
  const validator = cluster.nodes[entry]!.validator!
  const keys = cluster.chain.clientKeys
  const tx = buildTransfer({
    chainId: cluster.chain.genesis.chainId,
    keyPair: keys[client]!,
    to: keys[(client + 1) % keys.length]!.publicKey,
    amount: 1n,
    nonce: validator.account(keys[client]!.publicKey).nextNonce,
  })
  const result = await validator.submitTx(encodeTx(tx))
  expect(result.code).toBe(0)
  return toHex(txHash(tx))
}

function hasCommitted(cluster: Cluster, node: number, hashHex: string): boolean {
  return cluster.nodes[node]!.committed.some((each) =>
    each.block.txs.some((tx) => toHex(txHash(tx)) === hashHex),
  )
}

function quietCluster(seed: number): Cluster {
  const cluster = new Cluster({ validators: 4, seed, clients: 2, clientIntervalMs: 200 })
  cluster.clientsStopAtMs = 5_000
  return cluster
}

describe('a quiescent chain', () => {
  it('commits nothing and sends only repeated votes while idle, after committing everything acknowledged', async () => {
    const seed = 301
    const cluster = quietCluster(seed)
    cluster.start()
    await cluster.runUntil(10_000)
    const heights = cluster.nodes.map((node) => node.committedHeight)
    const frames = cluster.framesSent
    const views = cluster.nodes.map((node) => node.view)
    await cluster.runUntil(70_000)
    expect(checkSafety(cluster), `seed ${seed}`).toEqual([])
    expect(checkExactlyOnce(cluster, true), `seed ${seed}`).toEqual([])
    expect(cluster.acknowledged.length, `seed ${seed}`).toBeGreaterThan(20)
    // Only each replica's last vote, repeated to every peer once per maximum view timeout (8 s here).
    const repeatsMax = 4 * 3 * Math.ceil(60_000 / defaultSimParams.viewTimeoutMaxMs)
    expect(cluster.framesSent - frames, `seed ${seed}: frames sent during a minute idle`).toBeLessThanOrEqual(
      repeatsMax,
    )
    expect(
      cluster.nodes.map((node) => node.committedHeight),
      `seed ${seed}`,
    ).toEqual(heights)
    expect(
      cluster.nodes.map((node) => node.view),
      `seed ${seed}`,
    ).toEqual(views)
  })

  it('commits a transaction that arrives after a long idle spell within one view timeout', async () => {
    const seed = 302
    const cluster = quietCluster(seed)
    cluster.start()
    await cluster.runUntil(60_000)
    const viewsBefore = cluster.nodes.map((node) => node.view)
    const hashHex = await submitTransfer(cluster, 2, 0)
    // The view timeout is 1 s; three chained QCs on 5–40 ms links take a few hundred ms at most.
    await cluster.runUntil(60_900)
    for (const node of cluster.nodes)
      expect(hasCommitted(cluster, node.id, hashHex), `node ${node.id}`).toBe(true)
    // No view was abandoned: every view change came with a QC (three or four blocks, no timeout certificate).
    for (const [i, node] of cluster.nodes.entries()) {
      expect(node.view - viewsBefore[i]!, `seed ${seed}, node ${node.id}`).toBeLessThanOrEqual(5)
    }
    expect(checkSafety(cluster), `seed ${seed}`).toEqual([])
  })

  it('commits a transaction that only one replica holds (its gossip was lost) once the link heals', async () => {
    const seed = 303
    const cluster = quietCluster(seed)
    cluster.start()
    await cluster.runUntil(20_000)
    cluster.network.partition([[0, 1, 2], [3]])
    const hashHex = await submitTransfer(cluster, 3, 1)
    await cluster.runUntil(20_500)
    cluster.network.heal()
    await cluster.runUntil(40_000)
    expect(checkSafety(cluster), `seed ${seed}`).toEqual([])
    for (const node of cluster.nodes) {
      expect(hasCommitted(cluster, node.id, hashHex), `seed ${seed}, node ${node.id}`).toBe(true)
    }
  })

  it('a replica cut off while the chain went quiet catches up without a new transaction', async () => {
    const seed = 304
    // Validator 3 serves no client, so it holds no transaction of its own that would wake it after the heal.
    const cluster = new Cluster({
      validators: 4,
      seed,
      clients: 2,
      clientIntervalMs: 200,
      nodes: [{ index: 0 }, { index: 1 }, { index: 2 }, { index: 3, noClients: true }],
    })
    cluster.clientsStopAtMs = 5_000
    cluster.start()
    // Cut off while the last transactions commit; healed when the others have gone quiet. Nothing new comes:
    // only the last votes the others repeat while idle can complete its chain.
    await cluster.runUntil(4_820)
    cluster.network.partition([[0, 1, 2], [3]])
    await cluster.runUntil(15_000)
    const others = cluster.nodes[0]!.committedHeight
    expect(cluster.nodes[3]!.committedHeight, `seed ${seed}`).toBeLessThan(others)
    cluster.network.heal()
    await cluster.runUntil(60_000)
    expect(checkSafety(cluster), `seed ${seed}`).toEqual([])
    expect(
      cluster.nodes.map((node) => node.committedHeight),
      `seed ${seed}`,
    ).toEqual([others, others, others, others])
  })
})
