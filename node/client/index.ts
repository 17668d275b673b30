// `import { QuorateClient } from 'quorate/client'`: the typed client SDK, and the key and transaction helpers
// an application needs with it.

export { generateKeyPair, type KeyPair, keyPairFromSecret } from '../../crypto/ed25519.js'
export { readKeyFile, writeKeyFile } from '../../crypto/keyfile.js'
export type { Tx } from '../../ledger/types.js'
export { RpcCallError, RpcTransportError } from '../rpc/client.js'
export { EventSocketError } from './event-socket.js'
export {
  CommitTimeoutError,
  QuorateClient,
  type QuorateClientOptions,
  type TransferOptions,
  TxRejectedError,
} from './quorate-client.js'
export type * from './results.js'
export { buildTransfer, type TransferRequest, txHashHex, txToHex } from './transfer.js'
