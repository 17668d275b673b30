import { toHex } from '../../crypto/hex.js'
import { StoreError } from '../../ledger/store/index.js'
import { evidenceRpcPageLengthDefault, evidenceRpcPageLengthMax } from '../evidence/index.js'
import type { RpcBackend } from './backend.js'
import { chainRpcMethods } from './chain-methods.js'
import type { RpcMethods } from './dispatch.js'
import { invalidParams, RpcError, RpcErrorCode } from './errors.js'
import { genesisRpcMethods } from './genesis-methods.js'
import { mempoolRpcMethods } from './mempool-methods.js'
import { netInfo } from './net-info.js'
import { heightParam, hexParam, paramsObject } from './params.js'

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

/**
 * The JSON-RPC methods of a validator (names after CometBFT's; bytes as lowercase hex; docs/rpc.md). Params are
 * an object, or an array in each method's documented order; methods without params ignore any.
 */
export function nodeRpcMethods(node: RpcBackend): RpcMethods {
  let peers: ReturnType<typeof netInfo> | undefined
  return refusingCorruptData(node, {
    health: async () => ({}),
    status: async () => node.status(),
    net_info: async () => {
      peers ??= netInfo(node.genesis)
      return peers(node.connectedPeers())
    },
    ...genesisRpcMethods(node.genesis),
    ...chainRpcMethods(node),
    ...mempoolRpcMethods(node),
    account: async (params) => {
      const address = hexParam(paramsObject(params, ['address']), 'address', 32)
      const { account, nextNonce } = node.account(address)
      return {
        address: toHex(address),
        balance: account.balance.toString(),
        nonce: account.nonce,
        next_nonce: nextNonce,
      }
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
      const object = paramsObject(params, ['offset', 'limit'])
      const offset = heightParam(object, 'offset') ?? 0
      const limit = heightParam(object, 'limit') ?? evidenceRpcPageLengthDefault
      if (limit > evidenceRpcPageLengthMax) throw invalidParams(`limit: at most ${evidenceRpcPageLengthMax}`)
      return node.evidence.rpcResult({ offset, limit })
    },
  })
}
