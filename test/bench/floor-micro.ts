// `npx tsx test/bench/floor-micro.ts [--txs N]`: what one transaction costs, in CPU µs summed over every thread
// of the process, at the stages no Quorate transaction can skip, each run alone and flat out on this machine:
// - sign: the client builds and signs a transfer (the load generator's work per transaction);
// - verify: one Ed25519 check with node:crypto's async verify, all in flight (the ceiling's unit);
// - rpc: one JSON-RPC call over a keep-alive HTTP connection through the product's RpcServer (a method that
//   answers at once), 64 clients in flight; client and server in this one process, both counted;
// - commit: executing a block of 256 transfers and writing it with LedgerStore.commitBlock (synced), per tx.
// Then it adds them up as a 4-validator testnet must pay them (one signature and one RPC call per transaction;
// a check and a commit at every validator) and sets the sum against what issue 9's throughput target leaves
// for everything but the validators' checks: at 60% of the ceiling, the checks fill 60% of both cores and
// the other 40% must carry the rest. A seconds-long microbenchmark for issue 9; not part of `npm run bench`.

import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { verifyAsync } from '../../crypto/index.js'
import { txSigningBytes } from '../../ledger/hashing.js'
import type { Tx } from '../../ledger/types.js'
import { buildTransfer, txToHex } from '../../node/client/transfer.js'
import { RpcServer } from '../../node/rpc/server.js'
import { callRpc, keepAliveEndpoint } from './load/keep-alive-rpc.js'
import { commitInBlocks, openMicroChain, senderKeyPairs } from './micro-chain.js'

const { values } = parseArgs({ options: { txs: { type: 'string', default: '20000' } } })
const txCount = Number(values.txs)
const chainId = 'floor-micro'
const validatorCount = 4
const blockTxCount = 256
const rpcClients = 64
const targetShareOfCeiling = 0.6

const write = (line: string) => process.stdout.write(`${line}\n`)

/** Process CPU (user + system, every thread) and wall time of `work`, per item. */
async function measure(items: number, work: () => Promise<void> | void) {
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await work()
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  return { cpuMicros: (cpu.user + cpu.system) / items, perSecond: (items / wallMs) * 1000 }
}

const senders = senderKeyPairs(256)
const recipient = new Uint8Array(32).fill(0xee)

function transfer(index: number): Tx {
  const keyPair = senders[index % senders.length]!
  const nonce = Math.floor(index / senders.length)
  return buildTransfer({ chainId, keyPair, to: recipient, amount: 1n, nonce })
}

async function signStage() {
  const txs: Tx[] = []
  const figures = await measure(txCount, () => {
    for (let index = 0; index < txCount; index++) txs.push(transfer(index))
    for (const tx of txs) txToHex(tx)
  })
  return { figures, txs }
}

async function verifyStage(txs: readonly Tx[]) {
  const messages = txs.map((tx) => txSigningBytes(tx))
  return measure(txs.length, async () => {
    const results = await Promise.all(txs.map((tx, i) => verifyAsync(tx.signature, messages[i]!, tx.from)))
    if (results.some((ok) => !ok)) throw new Error('a signature did not verify')
  })
}

async function rpcStage(txs: readonly Tx[]) {
  const bodies = txs.map((tx) => txToHex(tx))
  const server = await RpcServer.create({
    port: 0,
    methods: { accept: async (params) => ({ code: 0, length: JSON.stringify(params).length }) },
    logger: { error: () => {} },
  })
  const endpoint = keepAliveEndpoint(server.url, rpcClients)
  try {
    let next = 0
    return await measure(bodies.length, () =>
      Promise.all(
        Array.from({ length: rpcClients }, async () => {
          while (next < bodies.length) {
            const outcome = await callRpc(endpoint, 'accept', { tx: bodies[next++] }, 10_000)
            if (outcome.kind !== 'result') throw new Error(`rpc call ended ${outcome.kind}`)
          }
        }),
      ).then(() => {}),
    )
  } finally {
    endpoint.agent.destroy()
    await server.close()
  }
}

async function commitStage(txs: readonly Tx[]) {
  const dir = mkdtempSync(join(tmpdir(), 'quorate-floor-micro-'))
  const chain = await openMicroChain(dir, chainId, senders)
  try {
    const committed = txs.slice(0, Math.floor(txs.length / blockTxCount) * blockTxCount)
    return await measure(committed.length, () => commitInBlocks(chain, committed, blockTxCount))
  } finally {
    await chain.store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const cores = availableParallelism()
const { figures: sign, txs } = await signStage()
const verify = await verifyStage(txs)
const rpc = await rpcStage(txs)
const commit = await commitStage(txs)
const round = (value: number) => value.toFixed(1)
write(`${txCount} transfers; ${cores} cores; CPU µs per transaction, all threads`)
write(`sign (client)            ${round(sign.cpuMicros)}`)
write(
  `verify (async, parallel) ${round(verify.cpuMicros)}  (${Math.round(verify.perSecond)} checks/s on ${cores} cores)`,
)
write(`rpc round trip           ${round(rpc.cpuMicros)}  (client and server)`)
write(`execute + commit         ${round(commit.cpuMicros)}  (blocks of ${blockTxCount}, synced)`)

const ceilingTxPerSecond = verify.perSecond / validatorCount
const targetTxPerSecond = targetShareOfCeiling * ceilingTxPerSecond
const budgetMicros = ((1 - targetShareOfCeiling) * cores * 1e6) / targetTxPerSecond
const floorMicros = sign.cpuMicros + rpc.cpuMicros + validatorCount * commit.cpuMicros
write(
  `target: ${Math.round(targetTxPerSecond)} tx/s (${targetShareOfCeiling} of a ceiling of ${Math.round(ceilingTxPerSecond)}); ` +
    `per tx the validators' ${validatorCount} checks fill ${targetShareOfCeiling * 100}% of the cores, ` +
    `leaving ${round(budgetMicros)} µs for everything else`,
)
write(
  `of which these stages alone take ${round(floorMicros)} µs (sign + rpc + ${validatorCount} × commit), ` +
    `${Math.round((100 * floorMicros) / budgetMicros)}% of it, before admission, gossip, consensus and the RPC's own methods`,
)
