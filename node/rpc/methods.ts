import { toHex } from '../../crypto/hex.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import { rpcCommitWaitMs } from '../../ledger/limits.js'
import { StoreError } from '../../ledger/store/index.js'
import type { Block, Receipt } from '../../ledger/types.js'
import { evidenceRpcPageLengthDefault, evidenceRpcPageLengthMax } from '../evidence/index.js'
import { AdmissionCode } from '../mempool/admission.js'
import type { RpcBackend } from './backend.js'
import type { RpcMethodContext, RpcMethods } from './dispatch.js'
import { invalidParams, RpcError, RpcErrorCode } from './errors.js'
import { heightParam, hexParam, paramsObject } from './params.js'

/** Implementation-defined error: the transaction was admitted but did not commit within the wait. */
const commitTimeoutCode = -32001

export function blockJson(block: Block, hash: Uint8Array) {
  const { header } = block
  return {
    hash: toHex(hash),
    height: header.height,
    view: header.view,
    parent_hash: toHex(header.parentHash),
    proposer: header.proposer,
    timestamp_ms: header.timestampMs,
    tx_root: toHex(header.txRoot),
    state_root: toHex(header.stateRoot),
    justify: {
      view: header.justify.view,
      block_hash: toHex(header.justify.blockHash),
      signers: header.justify.signers,
    },
    txs: block.txs.map((tx) => ({
      hash: toHex(txHash(tx)),
      from: toHex(tx.from),
      nonce: tx.nonce,
      to: toHex(tx.body.to),
      amount: tx.body.amount.toString(),
    })),
  }
}

function receiptJson(receipt: Receipt) {
  return { code: receipt.code, log: receipt.log }
}

/**
 * A read that finds corrupt stored data answers with a clear error (and a log line and metric at the node),
 * never with the data.
 */
function refusingCorruptData(node: RpcBackend, methods: RpcMethods): RpcMethods {
  const wrapped: Record<string, RpcMethods[string]> = {}
  for (const [name, method] of Object.entries(methods)) {
    wrapped[name] = async (params, context) => {
      try {
        return await method(params, context)
      } catch (error) {
        if (!(error instanceof StoreError) || error.code !== 'corrupt') throw error
        node.reportCorruption(error)
        throw new RpcError(
          RpcErrorCode.internalError,
          'the stored data this request needs is corrupt; see the validator log',
        )
      }
    }
  }
  return wrapped
}

/** The JSON-RPC methods of a validator (names after CometBFT's; bytes as lowercase hex). */
export function nodeRpcMethods(node: RpcBackend): RpcMethods {
  const broadcastTxSync = async (params: unknown, { overloaded }: RpcMethodContext) => {
    const result = await node.submitTx(hexParam(paramsObject(params), 'tx'))
    if (result.code === AdmissionCode.mempoolFull) overloaded()
    return { hash: result.hashHex, code: result.code, log: result.log }
  }
  return refusingCorruptData(node, {
    health: async () => ({}),
    status: async () => node.status(),
    block: async (params) => {
      const height = heightParam(paramsObject(params), 'height') ?? node.ledger.head().height
      const block = await node.ledger.blockByHeight(height)
      if (block === undefined) throw invalidParams(`no committed block at height ${height}`)
      return blockJson(block, blockHash(block.header))
    },
    account: async (params) => {
      const address = hexParam(paramsObject(params), 'address', 32)
      const { account, nextNonce } = node.account(address)
      return {
        address: toHex(address),
        balance: account.balance.toString(),
        nonce: account.nonce,
        next_nonce: nextNonce,
      }
    },
    // Both answer after admission (CheckTx); async is kept for CometBFT clients that call it.
    broadcast_tx_async: broadcastTxSync,
    broadcast_tx_sync: broadcastTxSync,
    broadcast_tx_commit: async (params, { signal, overloaded }) => {
      const bytes = hexParam(paramsObject(params), 'tx')
      const result = await node.submitTx(bytes)
      if (result.code === AdmissionCode.mempoolFull) overloaded()
      if (result.hashHex === null || result.tx === null)
        return { hash: result.hashHex, code: result.code, log: result.log }
      const hash = txHash(result.tx)
      // Admitted now, or admitted (or committed) before: wait for its commit. The waiter listens before it
      // looks the transaction up, so a commit that lands in between is not missed.
      const location =
        result.code === 0 ||
        result.code === AdmissionCode.alreadyPending ||
        result.code === AdmissionCode.alreadyCommitted
          ? await node.waitForCommit(result.hashHex, { timeoutMs: rpcCommitWaitMs, signal, tx: result.tx })
          : undefined
      if (result.code !== 0 && location === undefined)
        return { hash: result.hashHex, code: result.code, log: result.log }
      if (location === undefined) {
        throw new RpcError(commitTimeoutCode, 'transaction not committed in time; query it later with `tx`', {
          hash: result.hashHex,
        })
      }
      const receipt = location.receipt ?? (await node.ledger.receipt(hash))
      return {
        hash: result.hashHex,
        height: location.height,
        ...(receipt ? receiptJson(receipt) : { code: 0, log: '' }),
      }
    },
    tx: async (params) => {
      const hash = hexParam(paramsObject(params), 'hash', 32)
      const location = await node.ledger.txLocation(hash)
      if (location === undefined) throw invalidParams(`transaction ${toHex(hash)} is not committed`)
      const receipt = await node.ledger.receipt(hash)
      return {
        hash: toHex(hash),
        height: location.height,
        index: location.index,
        ...(receipt ? receiptJson(receipt) : {}),
      }
    },
    num_unconfirmed_txs: async () => {
      const { txCount, bytes } = node.mempoolStats()
      return { n_txs: txCount, total_bytes: bytes }
    },
    validators: async () => ({
      validators: node.genesis.validators.map((validator) => ({
        index: validator.index,
        name: validator.name,
        consensus_key: toHex(validator.consensusKey),
        node_key: toHex(validator.nodeKey),
      })),
    }),
    consensus_state: async () => node.consensusState(),
    evidence: async (params) => {
      const object = paramsObject(params)
      const offset = heightParam(object, 'offset') ?? 0
      const limit = heightParam(object, 'limit') ?? evidenceRpcPageLengthDefault
      if (limit > evidenceRpcPageLengthMax) throw invalidParams(`limit: at most ${evidenceRpcPageLengthMax}`)
      return node.evidence.rpcResult({ offset, limit })
    },
  })
}
