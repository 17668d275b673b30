// The genesis document as genesis.json has it (formatGenesis, the inverse of the file's parser): whole from
// `genesis` while it is small, in chunks of its JSON text from `genesis_chunked` (a genesis file may hold 100,000
// accounts, tens of MiB), as CometBFT does.

import { formatGenesis, type Genesis } from '../../ledger/genesis.js'
import type { RpcMethods } from './dispatch.js'
import { invalidParams, RpcError, RpcErrorCode } from './errors.js'
import { heightParam, paramsObject } from './params.js'

/** The largest genesis JSON text `genesis` answers with; larger ones are read with genesis_chunked. */
export const genesisRpcBytesMax = 4 * 1_048_576
/** Bytes of genesis JSON text per genesis_chunked chunk (twice that in hex). */
export const genesisChunkBytes = 1_048_576

export function genesisRpcMethods(genesis: Genesis): RpcMethods {
  // The genesis never changes: its text and document are built once, on first use (never mutated after).
  let text: Buffer | undefined
  let document: unknown
  const genesisText = (): Buffer => {
    text ??= Buffer.from(formatGenesis(genesis), 'utf8')
    return text
  }
  return {
    genesis: async () => {
      const bytes = genesisText()
      if (bytes.length > genesisRpcBytesMax) {
        throw new RpcError(
          RpcErrorCode.resultTooLarge,
          `the genesis document is ${bytes.length} bytes, more than ${genesisRpcBytesMax}: read it with genesis_chunked`,
        )
      }
      document ??= JSON.parse(bytes.toString('utf8')) as unknown
      return { genesis: document }
    },
    genesis_chunked: async (params) => {
      const bytes = genesisText()
      const total = Math.max(1, Math.ceil(bytes.length / genesisChunkBytes))
      const chunk = heightParam(paramsObject(params, ['chunk']), 'chunk') ?? 0
      if (chunk >= total) throw invalidParams(`chunk: expected 0 to ${total - 1}, got ${chunk}`)
      const start = chunk * genesisChunkBytes
      return { chunk, total, data: bytes.subarray(start, start + genesisChunkBytes).toString('hex') }
    },
  }
}
