// Transactions in: broadcast_tx_{async,sync,commit} and check_tx; and what waits in the mempool.

import { txHash } from '../../ledger/hashing.js'
import { rpcCommitWaitMs } from '../../ledger/limits.js'
import type { Receipt } from '../../ledger/types.js'
import { AdmissionCode, type AdmissionResult, statelessTxCheck } from '../mempool/admission.js'
import type { RpcBackend } from './backend.js'
import type { RpcMethodContext, RpcMethods } from './dispatch.js'
import { RpcError } from './errors.js'
import { txJson } from './ledger-json.js'
import { hexParam, limitParam, paramsObject } from './params.js'

/** Implementation-defined error: the transaction was admitted but did not commit within the wait. */
const commitTimeoutCode = -32001

/** unconfirmed_txs: transactions per call when `limit` is left out, and at most (CometBFT's figures). */
export const unconfirmedTxsLimitDefault = 30
export const unconfirmedTxsLimitMax = 100

function receiptJson(receipt: Receipt) {
  return { code: receipt.code, log: receipt.log }
}

/** The answer of broadcast_tx_sync, broadcast_tx_async and check_tx; a full mempool also answers HTTP 503. */
function admissionAnswer(result: AdmissionResult, { overloaded }: RpcMethodContext) {
  if (result.code === AdmissionCode.mempoolFull) overloaded()
  return { hash: result.hashHex, code: result.code, log: result.log }
}

const txParam = (params: unknown): Uint8Array => hexParam(paramsObject(params, ['tx']), 'tx')

export function mempoolRpcMethods(node: RpcBackend): RpcMethods {
  return {
    // Answers once the transaction decodes (size, encoding, chain id); admission goes on in the background and
    // its outcome is seen with `tx`, unconfirmed_txs or the node's metrics.
    broadcast_tx_async: async (params, context) => {
      const bytes = txParam(params)
      const decoded = statelessTxCheck(bytes, node.genesis.chainId)
      if (decoded.code !== AdmissionCode.ok) return admissionAnswer(decoded, context)
      if (!node.submitTxInBackground(bytes)) {
        return admissionAnswer(
          {
            ...decoded,
            code: AdmissionCode.mempoolFull,
            log: 'too many transactions are being admitted; send it again later',
          },
          context,
        )
      }
      return admissionAnswer(decoded, context)
    },
    broadcast_tx_sync: async (params, context) =>
      admissionAnswer(await node.submitTx(txParam(params)), context),
    check_tx: async (params, context) => admissionAnswer(await node.checkTx(txParam(params)), context),
    broadcast_tx_commit: async (params, context) => {
      const result = await node.submitTx(txParam(params))
      if (result.hashHex === null || result.tx === null) return admissionAnswer(result, context)
      if (result.code === AdmissionCode.mempoolFull) context.overloaded()
      const hash = txHash(result.tx)
      // Admitted now, or admitted (or committed) before: wait for its commit. The waiter listens before it
      // looks the transaction up, so a commit that lands in between is not missed.
      const location =
        result.code === 0 ||
        result.code === AdmissionCode.alreadyPending ||
        result.code === AdmissionCode.alreadyCommitted
          ? await node.waitForCommit(result.hashHex, {
              timeoutMs: rpcCommitWaitMs,
              signal: context.signal,
              tx: result.tx,
            })
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
    num_unconfirmed_txs: async () => {
      const { txCount, bytes } = node.mempoolStats()
      return { n_txs: txCount, total_bytes: bytes }
    },
    unconfirmed_txs: async (params) => {
      const limit = limitParam(
        paramsObject(params, ['limit']),
        'limit',
        unconfirmedTxsLimitDefault,
        unconfirmedTxsLimitMax,
      )
      const txs = node.pendingTxs(limit).slice(0, limit).map(txJson)
      const { txCount, bytes } = node.mempoolStats()
      return { n_txs: txs.length, total: txCount, total_bytes: bytes, txs }
    },
  }
}
