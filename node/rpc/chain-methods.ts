// Reads of the committed chain: blocks by height or hash, a range of headers, the QC of a height, a committed
// transaction with its inclusion proof. A read that finds the indexes disagreeing with the blocks they point to
// throws StoreError 'corrupt' (answered by methods.ts as corrupt data, never served).

import { bytesEqual, toHex } from '../../crypto/hex.js'
import { encodeTx } from '../../ledger/codec/index.js'
import { blockHash, txHash } from '../../ledger/hashing.js'
import { StoreError } from '../../ledger/store/index.js'
import type { Block } from '../../ledger/types.js'
import type { RpcBackend } from './backend.js'
import { blockRange } from './block-range.js'
import type { RpcMethods } from './dispatch.js'
import { invalidParams } from './errors.js'
import { blockJson, blockMetaJson, decodedTxJson, headerJson, qcJson } from './ledger-json.js'
import { booleanParam, heightParam, hexParam, paramsObject } from './params.js'
import { txProofJson } from './tx-proof.js'

export function chainRpcMethods(node: RpcBackend): RpcMethods {
  const { ledger } = node
  /** The committed block at `height` (the latest when undefined), or -32602 naming the height. */
  const committedBlock = async (height: number | undefined): Promise<{ block: Block; hash: Uint8Array }> => {
    const wanted = height ?? ledger.head().height
    const block = await ledger.blockByHeight(wanted)
    if (block === undefined) throw invalidParams(`height: no committed block at height ${wanted}`)
    return { block, hash: blockHash(block.header) }
  }
  return {
    block: async (params) => {
      const { block, hash } = await committedBlock(heightParam(paramsObject(params, ['height']), 'height'))
      return blockJson(block, hash)
    },
    block_by_hash: async (params) => {
      const hash = hexParam(paramsObject(params, ['hash']), 'hash', 32)
      const block = await ledger.blockByHash(hash)
      if (block === undefined) throw invalidParams(`hash: no committed block has hash ${toHex(hash)}`)
      if (!bytesEqual(blockHash(block.header), hash))
        throw new StoreError('corrupt', `the block stored under hash ${toHex(hash)} has another hash`)
      return blockJson(block, hash)
    },
    blockchain: async (params) => {
      const object = paramsObject(params, ['minHeight', 'maxHeight'])
      const lastHeight = ledger.head().height
      const range = blockRange(
        { minHeight: heightParam(object, 'minHeight'), maxHeight: heightParam(object, 'maxHeight') },
        lastHeight,
      )
      const blockMetas = []
      for (let height = range.maxHeight; height >= range.minHeight; height--) {
        const { block, hash } = await committedBlock(height)
        blockMetas.push(blockMetaJson(block, hash))
      }
      return { last_height: lastHeight, block_metas: blockMetas }
    },
    commit: async (params) => {
      const { block, hash } = await committedBlock(heightParam(paramsObject(params, ['height']), 'height'))
      const qc = await ledger.qcForBlock(hash)
      if (qc === undefined || !bytesEqual(qc.blockHash, hash))
        throw new StoreError('corrupt', `no QC stored for committed block ${toHex(hash)}`)
      return { signed_header: { header: headerJson(block.header, hash), commit: qcJson(qc) } }
    },
    tx: async (params) => {
      const object = paramsObject(params, ['hash', 'prove'])
      const hash = hexParam(object, 'hash', 32)
      const prove = booleanParam(object, 'prove') ?? false
      const location = await ledger.txLocation(hash)
      if (location === undefined) throw invalidParams(`hash: transaction ${toHex(hash)} is not committed`)
      const [block, receipt] = await Promise.all([
        ledger.blockByHeight(location.height),
        ledger.receipt(hash),
      ])
      const tx = block?.txs[location.index]
      if (block === undefined || tx === undefined || !bytesEqual(txHash(tx), hash)) {
        throw new StoreError(
          'corrupt',
          `the tx index puts ${toHex(hash)} at height ${location.height}, index ${location.index}, ` +
            'where the block holds another transaction',
        )
      }
      return {
        hash: toHex(hash),
        height: location.height,
        index: location.index,
        ...(receipt === undefined ? {} : { code: receipt.code, log: receipt.log }),
        tx: toHex(encodeTx(tx)),
        decoded: decodedTxJson(tx),
        ...(prove ? { proof: txProofJson(block, location.index) } : {}),
      }
    },
  }
}
