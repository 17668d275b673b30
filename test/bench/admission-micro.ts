// `npx tsx test/bench/admission-micro.ts [--txs N] [--concurrency C] [--history H]`: admits N signed transfers
// through TxIntake (admission, then the mempool journal) into a real LevelDB ledger store in a temp dir, with C
// admissions in flight at once (as an RPC server under C clients sees them), over a store that already holds H
// committed transactions. Prints tx/s and main-thread CPU µs per tx twice: with the signature cache cold (the
// full cost a validator pays) and warm (the signatures verified beforehand: admission's own cost). A seconds-long
// microbenchmark for the admission lever of issue 9; not part of `npm run bench`.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { toHex } from '../../crypto/index.js'
import type { AccountsApp } from '../../ledger/app/index.js'
import { decodeTx, encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import type { LedgerStore } from '../../ledger/store/index.js'
import type { Tx } from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { createLogger } from '../../node/logger.js'
import { CommittedTxIndex } from '../../node/mempool/committed-txs.js'
import { Mempool } from '../../node/mempool/mempool.js'
import { NodeMetrics } from '../../node/metrics.js'
import { TxVerifier } from '../../node/tx-verifier.js'
import { TxIntake } from '../../node/validator/tx-intake.js'
import { commitInBlocks, openMicroChain, senderKeyPairs } from './micro-chain.js'

const { values } = parseArgs({
  options: {
    txs: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '256' },
    history: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
  },
})
const txCount = Number(values.txs)
const concurrency = Number(values.concurrency)
const historyTxCount = Number(values.history)
const runCount = Number(values.runs)
const chainId = 'admission-micro'
const senderCount = 500
const historyBlockTxCount = 1_000

const senders = senderKeyPairs(senderCount)
const recipient = new Uint8Array(32).fill(0xee)

/** A store holding `historyTxCount` committed transfers (unsigned: the store does not check signatures). */
async function storeWithHistory(dir: string): Promise<{ store: LedgerStore; app: AccountsApp }> {
  const chain = await openMicroChain(dir, chainId, senders)
  // Round-robin over the senders, nonce by nonce, cut into blocks: each block executes in nonce order.
  const history: Tx[] = []
  for (let index = 0; index < historyTxCount; index++) {
    history.push({
      chainId,
      from: senders[index % senderCount]!.publicKey,
      nonce: Math.floor(index / senderCount),
      body: { kind: 'transfer', to: recipient, amount: 1n },
      signature: new Uint8Array(64),
    })
  }
  await commitInBlocks(chain, history, historyBlockTxCount)
  return { store: chain.store, app: chain.app }
}

/** `txCount` signed transfers at each sender's next nonces, interleaved across senders. */
function freshTxs(app: AccountsApp): Uint8Array[] {
  const txs: Uint8Array[] = []
  for (let round = 0; txs.length < txCount; round++) {
    for (const sender of senders) {
      if (txs.length === txCount) break
      const nonce = app.account(sender.publicKey).nonce + round
      txs.push(encodeTx(buildTransfer({ chainId, keyPair: sender, to: recipient, amount: 1n, nonce })))
    }
  }
  return txs
}

interface RunFigures {
  readonly txPerSecond: number
  /** Event-loop (main thread) busy time per admitted tx. */
  readonly mainThreadMicrosPerTx: number
  /** Process CPU time (every thread: main, libuv pool, LevelDB) per admitted tx. */
  readonly cpuMicrosPerTx: number
}

async function run(txs: readonly Uint8Array[], warm: boolean): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'quorate-admission-micro-'))
  try {
    const { store, app } = await storeWithHistory(dir)
    const txVerifier = new TxVerifier(chainId)
    const mempool = new Mempool({ txCountMax: txCount, bytesMax: 1 << 30, nonceGapMax: txCount })
    const metrics = new NodeMetrics()
    const intake = new TxIntake({
      chainId,
      mempool,
      app,
      ledger: store,
      txVerifier,
      committedTxs: new CommittedTxIndex(store),
      metrics,
      logger: createLogger('error', 'admission-micro'),
      gossip: () => {},
    })
    if (warm) {
      for (const bytes of txs) {
        const tx = decodeTx(bytes)
        await txVerifier.verifyAsync(tx, toHex(txHash(tx)))
      }
    }
    let next = 0
    let accepted = 0
    const cpuBefore = process.cpuUsage()
    const loopBefore = performance.eventLoopUtilization()
    const started = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < txs.length) {
          const bytes = txs[next++]!
          const result = await intake.admit(bytes)
          if (result.code === 0) accepted++
        }
      }),
    )
    const elapsedMs = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    const loop = performance.eventLoopUtilization(loopBefore)
    if (accepted !== txs.length) throw new Error(`accepted ${accepted} of ${txs.length}`)
    metrics.close()
    await store.close()
    return {
      txPerSecond: (txs.length / elapsedMs) * 1000,
      mainThreadMicrosPerTx: (loop.active * 1000) / txs.length,
      cpuMicrosPerTx: (cpu.user + cpu.system) / txs.length,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const write = (line: string) => process.stdout.write(`${line}\n`)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const setupDir = mkdtempSync(join(tmpdir(), 'quorate-admission-micro-'))
const { store: setupStore, app: setupApp } = await storeWithHistory(setupDir)
const txs = freshTxs(setupApp)
await setupStore.close()
rmSync(setupDir, { recursive: true, force: true })
write(
  `${txs.length} txs, ${concurrency} in flight, ${historyTxCount} committed before; median of ${runCount} runs`,
)
for (const warm of [false, true]) {
  const figures: RunFigures[] = []
  for (let index = 0; index < runCount; index++) figures.push(await run(txs, warm))
  const label = warm ? 'warm signature cache' : 'cold signature cache'
  const txPerSecond = median(figures.map((f) => f.txPerSecond)).toFixed(0)
  const mainThread = median(figures.map((f) => f.mainThreadMicrosPerTx)).toFixed(1)
  const cpu = median(figures.map((f) => f.cpuMicrosPerTx)).toFixed(1)
  write(`${label}: ${txPerSecond} tx/s, main thread ${mainThread} µs/tx, CPU (all threads) ${cpu} µs/tx`)
}
