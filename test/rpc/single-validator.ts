// A one-validator chain as shipped: the Validator over LevelDB in a temporary directory, on the system clock,
// serving nodeRpcMethods on a real RPC server. One validator is a quorum of itself, so transfers commit.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { toHex } from '../../crypto/hex.js'
import { type KeyPair, nodeSignatureVerifier } from '../../crypto/index.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { txHash } from '../../ledger/hashing.js'
import { genesisChain, LedgerStore, SafetyStore } from '../../ledger/store/index.js'
import type { Tx } from '../../ledger/types.js'
import { buildTransfer } from '../../node/client/transfer.js'
import { systemClock } from '../../node/env/clock.js'
import type { PeerNetwork } from '../../node/env/network.js'
import { NodeMetrics } from '../../node/metrics.js'
import { RpcCallError, rpcCall } from '../../node/rpc/client.js'
import { nodeRpcMethods } from '../../node/rpc/methods.js'
import { RpcServer } from '../../node/rpc/server.js'
import { Validator } from '../../node/validator/validator.js'
import { Prng } from '../sim/prng.js'
import { type SimChain, simChain } from '../sim/sim-genesis.js'
import { waitFor } from '../support/rpc-checks.js'

export interface SignedTransfer {
  readonly tx: Tx
  readonly hex: string
  readonly hash: string
}

export interface SingleValidatorChain {
  readonly chain: SimChain
  readonly validator: Validator
  readonly ledger: LedgerStore
  readonly metrics: NodeMetrics
  /** Lines the validator logged at error level. */
  readonly errors: Array<{ details: object; message: string }>
  /** The node keys (hex) the network reports as connected; tests may change it. */
  readonly connected: string[]
  readonly url: string
  call<T = unknown>(method: string, params?: unknown): Promise<T>
  /** Sends every transfer with broadcast_tx_sync at once (so they can share a block), then waits for each commit. */
  commitTransfers(transfers: readonly SignedTransfer[]): Promise<void>
  /** A signed transfer from client `from` to client `to`: its hex (what broadcast_tx_* take) and hash. */
  transfer(from: number, nonce: number, amount?: bigint, to?: number): SignedTransfer
  close(): Promise<void>
}

/** The JSON-RPC error a call was answered with (fails the test when it succeeded). */
export async function rpcError(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call
  } catch (error) {
    if (error instanceof RpcCallError) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error('expected a JSON-RPC error, got a result')
}

export async function startSingleValidator(seed: number, clientCount = 3): Promise<SingleValidatorChain> {
  const chain = simChain(new Prng(seed), 1, clientCount)
  const dir = await mkdtemp(join(tmpdir(), 'quorate-rpc-'))
  const dataDir = join(dir, 'data')
  const ledger = await LedgerStore.open({
    dir: dataDir,
    ...genesisChain(chain.genesis),
  })
  const { store: safety } = await SafetyStore.open({
    dir: join(dir, 'safety'),
    chainId: chain.genesis.chainId,
    genesisHash: chain.hash,
  })
  const connected: string[] = []
  const network: PeerNetwork = {
    connectedPeers: () => connected,
    send: () => false,
    broadcast: () => {},
    penalize: () => {},
  }
  const errors: Array<{ details: object; message: string }> = []
  const logger = pino({ level: 'silent' })
  logger.error = ((details: object, message: string) => {
    errors.push({ details, message })
  }) as typeof logger.error
  const metrics = new NodeMetrics()
  const validator = await Validator.create(
    {
      clock: systemClock(),
      network,
      random: Math.random,
      signatures: nodeSignatureVerifier,
      logger,
      metrics,
    },
    { ledger, safety, dataDir },
    {
      genesis: chain.genesis,
      consensusSecretKey: chain.consensusKeys[0]!.secretKey,
      blockIntervalMs: 50,
      createEmptyBlocks: false,
    },
  )
  validator.start()
  const server = await RpcServer.create({
    port: 0,
    methods: nodeRpcMethods(validator),
    logger: { error: () => {} },
  })
  const client = (index: number): KeyPair => chain.clientKeys[index]!
  const call = <T>(method: string, params: unknown = {}) =>
    rpcCall<T>(server.url, method, params, { timeoutMs: 30_000 })
  return {
    chain,
    validator,
    ledger,
    metrics,
    errors,
    connected,
    url: server.url,
    call,
    commitTransfers: async (transfers) => {
      const answers = await Promise.all(
        transfers.map((transfer) => call<{ code: number }>('broadcast_tx_sync', { tx: transfer.hex })),
      )
      if (answers.some((answer) => answer.code !== 0))
        throw new Error(`not admitted: ${JSON.stringify(answers)}`)
      for (const transfer of transfers) {
        await waitFor(`transfer ${transfer.hash} to commit`, async () => {
          await call('tx', { hash: transfer.hash })
          return true
        })
      }
    },
    transfer: (from, nonce, amount = 1n, to = (from + 1) % clientCount) => {
      const tx = buildTransfer({
        chainId: chain.genesis.chainId,
        keyPair: client(from),
        to: client(to).publicKey,
        amount,
        nonce,
      })
      return { tx, hex: toHex(encodeTx(tx)), hash: toHex(txHash(tx)) }
    },
    close: async () => {
      await server.close()
      await validator.close()
      await ledger.close()
      await safety.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
